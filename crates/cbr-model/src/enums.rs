//! Enumerations of the API that stay open: each knows the documented values and keeps any
//! other string verbatim, so a value the service adds tomorrow can be sent and received.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept exactly as received or given.
            Unknown(String),
        }

        impl $name {
            /// Every documented spelling, in documentation order.
            pub const KNOWN: &'static [&'static str] = &[$($text),+];

            /// The wire spelling.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Unknown(other) => other,
                }
            }

            /// Whether this is one of the documented values.
            #[must_use]
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $( $text => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                match Self::from(text.as_str()) {
                    Self::Unknown(_) => Self::Unknown(text),
                    known => known,
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(text))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Ok(Self::from(text.as_ref()))
            }
        }
    };
}

open_enum! {
    /// The kind of resource a backup protects (`resource_type`).
    ResourceType {
        /// An ECS cloud server.
        NovaServer => "OS::Nova::Server",
        /// An EVS disk.
        CinderVolume => "OS::Cinder::Volume",
        /// A bare-metal server.
        IronicBareMetalServer => "OS::Ironic::BareMetalServer",
        /// A server of a hybrid (on-premises) cloud.
        NativeServer => "OS::Native::Server",
        /// An SFS Turbo file system.
        SfsTurbo => "OS::Sfs::Turbo",
        /// A Workspace desktop.
        WorkspaceDesktopV2 => "OS::Workspace::DesktopV2",
    }
}

open_enum! {
    /// The state of a backup (`status`).
    Status {
        /// Usable for restores.
        Available => "available",
        /// Being created.
        Protecting => "protecting",
        /// Being deleted.
        Deleting => "deleting",
        /// Being restored from.
        Restoring => "restoring",
        /// Failed.
        Error => "error",
        /// Queued for creation.
        WaitingProtect => "waiting_protect",
        /// Queued for deletion.
        WaitingDelete => "waiting_delete",
        /// Queued for a restore.
        WaitingRestore => "waiting_restore",
    }
}

open_enum! {
    /// Whether a backup is an original or a cross-region replica (`image_type`).
    ImageType {
        /// An ordinary backup.
        Backup => "backup",
        /// A replica made by cross-region replication.
        Replication => "replication",
    }
}

open_enum! {
    /// Which backups of the project are listed by ownership (`own_type`).
    OwnType {
        /// The project's own backups (the service default).
        Private => "private",
        /// Backups other projects shared with this one.
        Shared => "shared",
        /// Both of the above.
        AllGranted => "all_granted",
    }
}

open_enum! {
    /// The state of a backup share (`member_status`).
    MemberStatus {
        /// Offered, not yet answered.
        Pending => "pending",
        /// Accepted by the receiving project.
        Accepted => "accepted",
        /// Declined by the receiving project.
        Rejected => "rejected",
    }
}

open_enum! {
    /// How a backup can be restored (`extend_info.supported_restore_mode`).
    RestoreMode {
        /// Not restorable; only usable to create new resources.
        Na => "na",
        /// Restorable from the server's disk backups.
        Backup => "backup",
        /// Usable to create a full-server image.
        Snapshot => "snapshot",
    }
}

open_enum! {
    /// The state of a replication record (`replication_records[].status`).
    ReplicationStatus {
        /// In progress.
        Replicating => "replicating",
        /// Finished.
        Success => "success",
        /// Failed.
        Fail => "fail",
        /// Skipped.
        Skip => "skip",
        /// Queued.
        WaitingReplicate => "waiting_replicate",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_use_the_documented_spelling() {
        for text in ResourceType::KNOWN {
            let value = ResourceType::from(*text);
            assert!(value.is_known());
            assert_eq!(value.as_str(), *text);
            assert!(!text.contains(' '));
        }
        assert_eq!(Status::from("waiting_restore"), Status::WaitingRestore);
        assert_eq!(RestoreMode::from("backup"), RestoreMode::Backup);
    }

    #[test]
    fn unknown_values_are_kept() {
        let frozen: Status = serde_json::from_str("\"frozen\"").unwrap_or(Status::Available);
        assert_eq!(frozen, Status::Unknown("frozen".into()));
        assert_eq!(serde_json::to_string(&frozen).ok().as_deref(), Some("\"frozen\""));
        assert_eq!(ResourceType::from("OS::Sfs::Turbo"), ResourceType::SfsTurbo);
        assert_eq!(RestoreMode::from(" backup"), RestoreMode::Unknown(" backup".into()));
    }
}
