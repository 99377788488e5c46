//! What coordinators see of the members: their meters, channels and contact.

use domain::{Channel, Member, Meter};

use crate::access::Viewer;
use crate::{App, AppError};

/// A coordinator's line about one member.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub member: Member,
    pub meters: Vec<(Meter, Vec<Channel>)>,
    /// Whether this coordinator may open the member's curve now.
    pub curve_visible: bool,
}

impl App {
    /// Members with their meters and channels, for coordinators.
    pub fn members_overview(
        &self,
        viewer: &Viewer,
    ) -> Result<(Vec<MemberRow>, Vec<Channel>), AppError> {
        if !viewer.is_coordinator() {
            return Err(AppError::forbidden("coordinators only"));
        }
        let vis = self.visibility(viewer)?;
        let community = self.community_id();
        self.store
            .read(|tx| {
                let members = tx.members().list(community)?;
                let meters = tx.meters().list(community)?;
                let channels = tx.channels().list(community)?;
                let rows = members
                    .into_iter()
                    .map(|m| MemberRow {
                        meters: meters
                            .iter()
                            .filter(|x| x.member_id == Some(m.id))
                            .map(|x| {
                                (
                                    x.clone(),
                                    channels
                                        .iter()
                                        .filter(|c| c.meter_id == Some(x.id))
                                        .cloned()
                                        .collect(),
                                )
                            })
                            .collect(),
                        curve_visible: vis.individuals.contains(&m.id),
                        member: m,
                    })
                    .collect();
                let unassigned = channels
                    .into_iter()
                    .filter(|c| c.configs.is_empty())
                    .collect();
                Ok((rows, unassigned))
            })
            .map_err(AppError::from)
    }
}
