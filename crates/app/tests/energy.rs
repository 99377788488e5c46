//! Energy bars, a member's share of the neighbourhood and the comparisons, on a small
//! community built by hand: every figure is what a person computes with the rule it names.

use app::access::Viewer;
use app::energy::BarUnit;
use app::period::RangeRequest;
use domain::{Interval, Provenance, Slot};
use testkit::{World, WorldSpec, NOW_MS};

/// 2024-05-01 00:00 in Brussels; the world's clock is at 12:00 that day.
const DAY_START_MS: i64 = 1_714_514_400_000;

fn viewer(w: &World, login: &str) -> Viewer {
    let (user, _) = w
        .store
        .read(|tx| tx.users().by_login(login))
        .unwrap()
        .unwrap();
    Viewer { user, csrf: None }
}

fn slot(i: i64) -> Slot {
    Slot::from_index(Slot::containing_ms(DAY_START_MS).index() + i)
}

fn flat(i: i64, wh: i64) -> Interval {
    Interval::flat(slot(i), wh * 1000, Provenance::Measured)
}

fn write(w: &World, ch: domain::ChannelId, ivs: &[Interval]) {
    w.store.write(|tx| tx.intervals().write(ch, ivs)).unwrap();
}

#[test]
fn hourly_bars_sum_complete_quarter_hours_and_stop_at_the_hour_in_progress() {
    let w = World::sqlite();
    let app = w.app();
    // Household 2: 100 Wh every quarter-hour from midnight to noon (48 quarter-hours).
    let ivs: Vec<Interval> = (0..49).map(|i| flat(i, 100)).collect();
    write(&w, w.consumption[1], &ivs);
    // 12:20: the 12:00–12:15 quarter-hour has ended, 12:15–12:30 has not.
    w.clock.set(NOW_MS + 20 * 60_000);
    let e = app
        .member_energy(&viewer(&w, "h2"), None, &RangeRequest::default())
        .unwrap();
    assert_eq!(e.unit, BarUnit::Hour);
    // The 12:00 bar is given as partial with its one complete quarter-hour, none after it.
    assert_eq!(e.bars.len(), 13);
    assert!(e.bars[..12]
        .iter()
        .all(|b| !b.partial && b.totals.consumption_mwh == 400_000));
    assert!(e.bars[12].partial);
    assert_eq!(e.bars[12].totals.consumption_mwh, 100_000);
    assert_eq!(e.total.consumption_mwh, 4_900_000);
    // The same household's week: one day bar, partial.
    let week = app
        .member_energy(
            &viewer(&w, "h2"),
            None,
            &RangeRequest::parse(Some("week"), None, None, None).unwrap(),
        )
        .unwrap();
    assert_eq!(week.unit, BarUnit::Day);
    assert_eq!(week.bars.len(), 3, "Monday 29 April to Wednesday 1 May");
    assert!(week.bars[2].partial && !week.bars[1].partial);
    assert_eq!(week.bars[2].totals.consumption_mwh, 4_900_000);
}

#[test]
fn the_neighbours_share_follows_the_prorata_key_and_adds_up() {
    // Five households so the community's figures may be shown (min group size 5).
    let w = World::new(
        testkit::TestStore::sqlite("share"),
        WorldSpec {
            households: 6,
            private: vec![],
            pv: vec![0],
            now_ms: NOW_MS,
            max_gap_ms: 300_000,
        },
    );
    let app = w.app();
    // Quarter-hour 0: household 1 produces 1000 Wh and uses 200 (injects 800); households
    // 2, 3 and 4 take 100, 300 and 600 Wh (1000 in all): 800 Wh shared, 80 % of each offtake.
    write(&w, w.production[0].unwrap(), &[flat(0, 1000)]);
    write(&w, w.consumption[0], &[flat(0, 200)]);
    write(&w, w.consumption[1], &[flat(0, 100)]);
    write(&w, w.consumption[2], &[flat(0, 300)]);
    write(&w, w.consumption[3], &[flat(0, 600)]);
    let share = |login: &str| {
        app.member_energy(&viewer(&w, login), None, &RangeRequest::default())
            .unwrap()
            .share
            .unwrap()
    };
    assert_eq!(share("h2").received_mwh, 80_000);
    assert_eq!(share("h3").received_mwh, 240_000);
    assert_eq!(share("h4").received_mwh, 480_000);
    assert_eq!(share("h1").given_mwh, 800_000);
    assert_eq!(share("h1").received_mwh, 0);
    // A member's totals carry the same share as its bars (the API's totals and the panel
    // read one rule).
    for login in ["h1", "h2", "h3", "h4"] {
        let totals = app
            .member_totals(&viewer(&w, login), None, &RangeRequest::default())
            .unwrap();
        assert_eq!(totals.share, Some(share(login)), "{login}");
    }
    // Quarter-hour 1: a third each of 1 Wh is not a whole mWh: the largest remainder decides,
    // and the shares still add up to what was shared.
    write(&w, w.production[0].unwrap(), &[flat(1, 1)]);
    write(&w, w.consumption[0], &[flat(1, 0)]);
    for h in 1..4 {
        write(&w, w.consumption[h], &[flat(1, 1)]);
    }
    let received: i64 = ["h2", "h3", "h4"]
        .iter()
        .map(|h| share(h).received_mwh)
        .sum();
    assert_eq!(received, 800_000 + 1000);
    let community = app
        .community_energy(&viewer(&w, "h2"), &RangeRequest::default())
        .unwrap();
    assert_eq!(community.total.shared_mwh, 801_000);
}

#[test]
fn a_small_community_gives_no_share_and_no_median() {
    // The default world: five of six households keep their curve private, but community
    // figures need five other members; with six households they are shown to each.
    let w = World::new(
        testkit::TestStore::sqlite("small"),
        WorldSpec {
            households: 3,
            private: vec![],
            pv: vec![0],
            now_ms: NOW_MS,
            max_gap_ms: 300_000,
        },
    );
    let app = w.app();
    write(&w, w.consumption[1], &[flat(0, 100)]);
    let e = app
        .member_energy(&viewer(&w, "h2"), None, &RangeRequest::default())
        .unwrap();
    assert_eq!(
        e.share, None,
        "with 2 other members, the share would reveal theirs"
    );
    assert_eq!(e.total.consumption_mwh, 100_000);
    let c = app.member_comparison(&viewer(&w, "h2"), None).unwrap();
    assert_eq!(c.neighbours_median_mwh, None);
}

#[test]
fn today_is_compared_over_the_same_hours() {
    let w = World::new(
        testkit::TestStore::sqlite("compare"),
        WorldSpec {
            households: 8,
            private: vec![],
            pv: vec![],
            now_ms: NOW_MS,
            max_gap_ms: 300_000,
        },
    );
    let app = w.app();
    let day = 96;
    // Household 1: 100 Wh per quarter-hour today until noon; yesterday 50 Wh in the morning
    // and 1000 Wh in the afternoon (not compared); a week ago 80 Wh in the morning.
    let mut mine: Vec<Interval> = (0..48).map(|i| flat(i, 100)).collect();
    mine.extend((0..48).map(|i| flat(i - day, 50)));
    mine.extend((48..96).map(|i| flat(i - day, 1000)));
    mine.extend((0..48).map(|i| flat(i - 7 * day, 80)));
    write(&w, w.consumption[0], &mine);
    // Six neighbours, each with a full morning: 10, 20, … 60 Wh per quarter-hour; a seventh
    // (household 8) misses one quarter-hour and is left out of the median.
    for h in 1..7 {
        let ivs: Vec<Interval> = (0..48).map(|i| flat(i, 10 * h as i64)).collect();
        write(&w, w.consumption[h], &ivs);
    }
    let gappy: Vec<Interval> = (1..48).map(|i| flat(i, 5000)).collect();
    write(&w, w.consumption[7], &gappy);
    let c = app.member_comparison(&viewer(&w, "h1"), None).unwrap();
    assert_eq!(c.until, "12:00");
    assert_eq!(c.today_mwh, Some(4_800_000));
    assert_eq!(c.yesterday_mwh, Some(2_400_000));
    assert_eq!(c.same_weekday.len(), 1);
    assert_eq!(c.same_weekday_mean_mwh(), Some(48 * 80_000));
    assert_eq!(c.neighbours, 6);
    // Median of 480, 960, 1440, 1920, 2400, 2880 Wh: (1440 + 1920) / 2.
    assert_eq!(c.neighbours_median_mwh, Some(1_680_000));
}
