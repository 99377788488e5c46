//! Accounts run by coordinators: the rules that keep a community administrable.

use app::access::Viewer;
use app::Kind;
use domain::Role;
use testkit::World;

fn viewer(w: &World, login: &str) -> Viewer {
    let (user, _) = w
        .store
        .read(|tx| tx.users().by_login(login))
        .unwrap()
        .unwrap();
    Viewer {
        user,
        csrf: Some("form".into()),
    }
}

#[test]
fn the_community_always_keeps_a_coordinator() {
    let w = World::sqlite();
    let app = w.app();
    let coord = viewer(&w, "coord");
    let h1 = viewer(&w, "h1").user.id;
    app.coord_set_role(&coord, h1, Role::Coordinator).unwrap();
    // The first coordinator leaves the role to h1 by removing their own account.
    app.remove_user("coord").unwrap();
    let h1v = viewer(&w, "h1");
    let e = app.coord_set_role(&h1v, h1, Role::Resident).unwrap_err();
    assert_eq!(e.kind, Kind::Invalid);
    assert!(e.message.contains("at least one coordinator"), "{e:?}");
    assert_eq!(viewer(&w, "h1").user.role, Role::Coordinator);
    // Nor can a coordinator mark their own household as gone.
    let e = app.coord_set_active(&h1v, w.members[0], false).unwrap_err();
    assert!(e.message.contains("your own household"), "{e:?}");
    // A coordinator cannot make an operator; a resident cannot make anyone anything.
    let h2 = viewer(&w, "h2");
    let e = app
        .coord_set_role(&h1v, h2.user.id, Role::Operator)
        .unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
    let e = app
        .coord_set_role(&h2, h2.user.id, Role::Coordinator)
        .unwrap_err();
    assert_eq!(e.kind, Kind::Forbidden);
}

#[test]
fn an_invitation_cannot_be_used_after_it_expires() {
    let w = World::sqlite();
    let coord = viewer(&w, "coord");
    let app = w.app();
    let link = app
        .coord_invite(&coord, w.members[1], "late", "Late Comer", Role::Resident)
        .unwrap();
    assert!(app.account_link(&link.secret).unwrap().is_some());
    // Eight days later the link is gone.
    w.clock
        .set(testkit::NOW_MS + app::accounts::INVITE_MS + 86_400_000);
    assert!(app.account_link(&link.secret).unwrap().is_none());
    let used = app.use_account_link(&link.secret, "une longue phrase", "une longue phrase");
    assert!(matches!(used, Err(ref e) if e.kind == Kind::NotFound));
}
