//! Deterministic backup datasets: the documented project of the API example (1663 backups,
//! 150 of them servers, with the two published backups verbatim) and seeded synthetic ones of
//! any size.

use cbr_model::{
    Backup, BackupExtendInfo, DOCUMENTED_PROJECT_ID, ImageType, ReplicationExtraInfo,
    ReplicationRecord, ReplicationStatus, ResourceType, RestoreMode, Status,
};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value};

use crate::text::{MICROS_PER_SEC, timestamp_from_micros, uuid_v4};

/// The two backups published in the API example, exactly as shown there (a JSON array).
pub const DOCUMENTED_JSON: &str = include_str!("../data/documented.json");

/// Id of the documented backup shown in the `limit=100&offset=0` example.
pub const DOCUMENTED_BACKUP_ID: &str = "62617971-839d-4d23-8dfd-4ca65c039bdf";

/// Id of the documented backup shown in the `resource_type=OS::Nova::Server` example.
pub const DOCUMENTED_SERVER_BACKUP_ID: &str = "c892ed58-3a18-47c2-9e31-a1d543dc490a";

/// Number of top-level backups in [`Dataset::documented`] (the example's `count`).
pub const DOCUMENTED_COUNT: usize = 1663;

/// Number of `OS::Nova::Server` backups in [`Dataset::documented`].
pub const DOCUMENTED_SERVER_COUNT: usize = 150;

/// `provider_id` of cloud-server backups.
pub const SERVER_PROVIDER_ID: &str = "0daac4c5-6707-4851-97ba-169e36266b66";

/// `provider_id` of EVS-disk backups.
pub const DISK_PROVIDER_ID: &str = "d1603440-187d-4516-af25-121250c7cc97";

/// `provider_id` of SFS Turbo backups.
pub const TURBO_PROVIDER_ID: &str = "3f3c3220-245c-4805-b811-758870015881";

/// The availability zones generated backups are spread over.
pub const ZONES: [&str; 3] = ["br-iaas-odin1a", "br-iaas-odin1b", "br-iaas-odin1c"];

/// The vaults of generated datasets; the same ids for every seed.
pub const VAULT_IDS: [&str; 6] = [
    // server vault of the documented backups
    "1572bd27-e221-4f28-94ca-9777d232fcd7",
    // second server vault
    "cca85ea5-00a4-418d-9222-bd83985bc515",
    // disk vaults
    "79bd9daa-884f-4f84-b8fe-235d58cd927d",
    "5e0c6a2d-4f1b-4b8e-a3d7-0c9e1f2a6b54",
    // SFS Turbo vault
    "a2c4e6f8-1b3d-4f5a-8c7e-9d0b2a4c6e81",
    // vault receiving cross-region replicas
    "d7e9f1a3-5b7c-4d9e-8f1a-3b5c7d9e1f20",
];

/// Enterprise projects of generated backups (`"0"` is the default project).
pub const ENTERPRISE_PROJECT_IDS: [&str; 3] =
    ["0", "b5e1c9d2-7a34-4f6e-9c81-2d3f4a5b6c7e", "e0f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"];

/// The fixed seed of [`Dataset::documented`].
const DOCUMENTED_SEED: u64 = 0x0605_767b_5780_d576;

/// 2020-08-18T06:00:00Z, just before the first documented backup: generated backups are
/// created before it, except a handful made later that same day.
const END_MICROS: i64 = 1_597_730_400 * MICROS_PER_SEC;
const HOUR: i64 = 3600 * MICROS_PER_SEC;
const DAY: i64 = 24 * HOUR;
/// How far back generated backups go.
const SPAN_DAYS: i64 = 365;
/// How many generated backups are made after [`END_MICROS`] (the same day).
const LATE: usize = 6;

/// The seed server every documented backup protects (`xzl_ecs-0003-0001`).
const SEED_RESOURCE_ID: &str = "d6bf7592-ca52-43a2-9979-e418d64b29bb";
const SEED_RESOURCE_NAME: &str = "xzl_ecs-0003-0001";

/// How full each vault of generated datasets is, as (capacity GB, used GB), in the order of
/// [`VAULT_IDS`]: 86 %, 41.25 %, 95.3 %, 63 %, 27 % and 71 % used. The same for every size and
/// seed.
pub const VAULT_USAGE: [(u64, u64); 6] =
    [(2000, 1720), (4000, 1650), (10_000, 9530), (8000, 5040), (3000, 810), (5000, 3550)];

/// A vault's size and usage: what `used_percent` filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vault {
    /// The vault id, as in each backup's `vault_id`.
    pub id: String,
    /// Capacity in GB.
    pub capacity_gb: u64,
    /// Space used in GB.
    pub used_gb: u64,
}

impl Vault {
    /// Whether at least `percent` % of the vault is used (exactly, without rounding); a vault
    /// without capacity counts as full.
    #[must_use]
    pub fn is_used_at_least(&self, percent: u8) -> bool {
        u128::from(self.used_gb) * 100 >= u128::from(percent) * u128::from(self.capacity_gb)
    }

    /// The vaults of [`Dataset::documented`] and [`Dataset::generated`] ([`VAULT_IDS`] with
    /// [`VAULT_USAGE`]).
    #[must_use]
    pub fn standard() -> Vec<Self> {
        VAULT_IDS
            .iter()
            .zip(VAULT_USAGE)
            .map(|(id, (capacity_gb, used_gb))| Self { id: (*id).to_owned(), capacity_gb, used_gb })
            .collect()
    }
}

/// A project's backups: top-level backups, each server backup's disk backups nested in its
/// `children`, and the vaults they are kept in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// The project the backups belong to; requests for any other project see nothing.
    pub project_id: String,
    /// Top-level backups, in no particular order.
    pub backups: Vec<Backup>,
    /// The vaults with their usage; a backup whose vault is not listed matches no
    /// `used_percent` filter.
    pub vaults: Vec<Vault>,
}

impl Dataset {
    /// A dataset of the given backups, as they are.
    #[must_use]
    pub fn new(project_id: impl Into<String>, backups: Vec<Backup>) -> Self {
        Self { project_id: project_id.into(), backups, vaults: Vec::new() }
    }

    /// The same backups, kept in these vaults (replacing any listed before).
    #[must_use]
    pub fn with_vaults(mut self, vaults: Vec<Vault>) -> Self {
        self.vaults = vaults;
        self
    }

    /// The documented project (`0605767b5780d5762fc5c0118072a564`): exactly
    /// [`DOCUMENTED_COUNT`] top-level backups, [`DOCUMENTED_SERVER_COUNT`] of them
    /// `OS::Nova::Server`, including the two published backups verbatim
    /// ([`DOCUMENTED_JSON`]). The same for every call.
    ///
    /// In the default order (`created_at` descending) the published server backup
    /// ([`DOCUMENTED_SERVER_BACKUP_ID`]) is among the first five servers and the other one
    /// ([`DOCUMENTED_BACKUP_ID`]) among the first hundred backups, as in the example.
    #[must_use]
    pub fn documented() -> Self {
        let counts = Counts { servers: 148, turbos: 38, volumes: 1475 };
        let mut rng = ChaCha8Rng::seed_from_u64(DOCUMENTED_SEED);
        let mut backups = Vec::with_capacity(DOCUMENTED_COUNT);
        generate(&mut rng, DOCUMENTED_PROJECT_ID, counts, true, &mut |b| backups.push(b));
        for backup in documented_backups() {
            let at = rng.gen_range(0..=backups.len());
            backups.insert(at, backup);
        }
        Self { project_id: DOCUMENTED_PROJECT_ID.to_owned(), backups, vaults: Vault::standard() }
    }

    /// `n` synthetic top-level backups in the documented project, from the same generator as
    /// [`Dataset::documented`] but without the two published ones; the same for every call
    /// with the same `seed`. About 9 % are servers (a third of those with disk children),
    /// 2 % SFS Turbo, the rest disks.
    #[must_use]
    pub fn generated(n: usize, seed: u64) -> Self {
        let mut backups = Vec::with_capacity(n);
        generate_each(DOCUMENTED_PROJECT_ID, n, seed, &mut |b| backups.push(b));
        Self { project_id: DOCUMENTED_PROJECT_ID.to_owned(), backups, vaults: Vault::standard() }
    }

    /// The same backups in another project: `project_id` is replaced here and in every
    /// backup, children included.
    #[must_use]
    pub fn with_project_id(mut self, id: impl Into<String>) -> Self {
        fn rewrite(backups: &mut [Backup], id: &str) {
            for backup in backups {
                backup.project_id = Some(id.to_owned());
                if let Some(children) = backup.children.as_mut() {
                    rewrite(children, id);
                }
            }
        }
        self.project_id = id.into();
        rewrite(&mut self.backups, &self.project_id);
        self
    }

    /// Number of top-level backups.
    #[must_use]
    pub fn len(&self) -> usize {
        self.backups.len()
    }

    /// Whether there are no backups.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.backups.is_empty()
    }
}

/// Hands the backups of [`Dataset::generated`]`(n, seed)`, in project `project_id`, to `sink`
/// one at a time, so a large dataset never has to be held as a whole.
pub(crate) fn generate_each(project_id: &str, n: usize, seed: u64, sink: &mut dyn FnMut(Backup)) {
    let servers = n * 9 / 100;
    let turbos = n * 23 / 1000;
    let counts = Counts { servers, turbos, volumes: n - servers - turbos };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    generate(&mut rng, project_id, counts, false, sink);
}

/// The two published backups, decoded from [`DOCUMENTED_JSON`].
#[must_use]
pub fn documented_backups() -> Vec<Backup> {
    serde_json::from_str(DOCUMENTED_JSON).unwrap_or_else(|error| {
        // The fixture is compiled in and covered by tests; this cannot happen in a release.
        tracing::error!(%error, "the documented backups fixture does not decode");
        Vec::new()
    })
}

#[derive(Clone, Copy)]
struct Counts {
    servers: usize,
    turbos: usize,
    volumes: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Server,
    Volume,
    Turbo,
}

/// A disk attached to a generated server.
struct Disk {
    id: String,
    name: String,
    size: u64,
    system: bool,
}

/// A protected resource, backed up many times.
struct Resource {
    id: String,
    name: String,
    seq: usize,
    kind: Kind,
    az: &'static str,
    size: u64,
    vault: usize,
    enterprise_project: &'static str,
    architecture: &'static str,
    /// Hour of day (UTC) the vault's policy runs.
    policy_hour: i64,
    disks: Vec<Disk>,
    system_disk: bool,
}

fn make_resources<R: Rng>(
    rng: &mut R,
    kind: Kind,
    count: usize,
    seed_server: bool,
) -> Vec<Resource> {
    (1..=count)
        .map(|seq| {
            let az = ZONES[rng.gen_range(0..ZONES.len())];
            let enterprise_project = match rng.gen_range(0..10) {
                0 => ENTERPRISE_PROJECT_IDS[1],
                1 => ENTERPRISE_PROJECT_IDS[2],
                _ => ENTERPRISE_PROJECT_IDS[0],
            };
            let architecture = if rng.gen_ratio(1, 10) { "aarch64" } else { "x86_64" };
            let id = uuid_v4(rng);
            match kind {
                Kind::Server => {
                    let vault = rng.gen_range(0..2);
                    let disk_count = rng.gen_range(1..=3);
                    let disks: Vec<Disk> = (1..=disk_count)
                        .map(|n| Disk {
                            id: uuid_v4(rng),
                            name: format!("xzl_ecs-{seq:04}-volume-{n:04}"),
                            size: if n == 1 { 40 } else { rng.gen_range(1..=20) * 10 },
                            system: n == 1,
                        })
                        .collect();
                    let size = disks.iter().map(|d| d.size).sum();
                    let mut resource = Resource {
                        id,
                        name: format!("xzl_ecs-{seq:04}-0001"),
                        seq,
                        kind,
                        az,
                        size,
                        vault,
                        enterprise_project,
                        architecture,
                        policy_hour: [6, 20][vault],
                        disks,
                        system_disk: false,
                    };
                    if seed_server && seq == 3 {
                        // The server of the published backups: one 40 GB system disk.
                        resource.id = SEED_RESOURCE_ID.to_owned();
                        resource.name = SEED_RESOURCE_NAME.to_owned();
                        resource.az = ZONES[0];
                        resource.vault = 0;
                        resource.policy_hour = 6;
                        resource.enterprise_project = ENTERPRISE_PROJECT_IDS[0];
                        resource.architecture = "x86_64";
                        resource.disks.truncate(1);
                        resource.size = 40;
                    }
                    resource
                }
                Kind::Volume => {
                    let vault = rng.gen_range(2..4);
                    Resource {
                        id,
                        name: if rng.gen_ratio(1, 4) {
                            format!("qsy_{seq:03}")
                        } else {
                            format!("xzl_evs-{seq:04}")
                        },
                        seq,
                        kind,
                        az,
                        size: rng.gen_range(1..=50) * 10,
                        vault,
                        enterprise_project,
                        architecture,
                        policy_hour: [2, 14][vault - 2],
                        disks: Vec::new(),
                        system_disk: rng.gen_ratio(1, 5),
                    }
                }
                Kind::Turbo => Resource {
                    id,
                    name: format!("sfs-turbo-{seq:02}"),
                    seq,
                    kind,
                    az,
                    size: rng.gen_range(5..=50) * 10,
                    vault: 4,
                    enterprise_project,
                    architecture,
                    policy_hour: 22,
                    disks: Vec::new(),
                    system_disk: false,
                },
            }
        })
        .collect()
}

/// Generates the backups into `sink`; `seed_server` pins the server of the published
/// backups.
fn generate<R: Rng>(
    rng: &mut R,
    project_id: &str,
    counts: Counts,
    seed_server: bool,
    sink: &mut dyn FnMut(Backup),
) {
    let servers = make_resources(rng, Kind::Server, counts.servers.div_ceil(8), seed_server);
    let volumes = make_resources(rng, Kind::Volume, counts.volumes.div_ceil(10), false);
    let turbos = make_resources(rng, Kind::Turbo, counts.turbos.div_ceil(12), false);

    let mut kinds = Vec::with_capacity(counts.servers + counts.turbos + counts.volumes);
    kinds.extend(std::iter::repeat_n(Kind::Server, counts.servers));
    kinds.extend(std::iter::repeat_n(Kind::Turbo, counts.turbos));
    kinds.extend(std::iter::repeat_n(Kind::Volume, counts.volumes));
    kinds.shuffle(rng);

    let mut generator = Generator { rng, project_id };
    for (index, kind) in kinds.iter().enumerate() {
        let pool = match kind {
            Kind::Server => &servers,
            Kind::Volume => &volumes,
            Kind::Turbo => &turbos,
        };
        if let Some(resource) = pool.get(generator.rng.gen_range(0..pool.len().max(1))) {
            sink(generator.backup(resource, index < LATE));
        }
    }
}

struct Generator<'a, R> {
    rng: &'a mut R,
    project_id: &'a str,
}

impl<R: Rng> Generator<'_, R> {
    fn micros(&mut self, low_seconds: i64, high_seconds: i64) -> i64 {
        self.rng.gen_range(low_seconds * MICROS_PER_SEC..high_seconds * MICROS_PER_SEC)
    }

    fn status(&mut self, late: bool) -> Status {
        let roll = self.rng.gen_range(0..1000);
        if late {
            return match roll {
                0..600 => Status::Available,
                600..850 => Status::Protecting,
                850..950 => Status::WaitingProtect,
                _ => Status::Error,
            };
        }
        match roll {
            0..930 => Status::Available,
            930..975 => Status::Error,
            975..983 => Status::Deleting,
            983..990 => Status::Restoring,
            990..995 => Status::WaitingDelete,
            _ => Status::WaitingRestore,
        }
    }

    fn backup(&mut self, resource: &Resource, late: bool) -> Backup {
        let manual = late || self.rng.gen_ratio(1, 8);
        let created = if late {
            END_MICROS + self.micros(60, 6 * 3600)
        } else if manual {
            END_MICROS - self.micros(1, SPAN_DAYS * 86_400)
        } else {
            let day = self.rng.gen_range(1..=SPAN_DAYS);
            let midnight = END_MICROS - END_MICROS.rem_euclid(DAY);
            midnight - day * DAY + resource.policy_hour * HOUR + self.micros(0, 300)
        };
        let status = self.status(late);
        let pending = matches!(status, Status::Protecting | Status::WaitingProtect);
        let protected = (!pending).then(|| created + self.micros(15, 45));
        let updated =
            if pending { created + self.micros(1, 60) } else { created + self.micros(240, 540) };
        let retention_days = [None, Some(30), Some(90), Some(30), Some(180), Some(365)];
        let expired = if manual {
            None
        } else {
            retention_days[resource.vault].map(|days| created + days * DAY)
        };
        let replica = !manual && resource.kind != Kind::Turbo && self.rng.gen_ratio(1, 60);
        let prefix = if manual { "manualbk" } else { "autobk" };
        let name = format!("{prefix}_{:04x}_{:04}", self.rng.r#gen::<u16>(), resource.seq);
        let progress = if pending { Value::from(self.rng.gen_range(0..100)) } else { Value::Null };

        let mut backup = Backup::default();
        backup.id = Some(uuid_v4(self.rng));
        backup.checkpoint_id = Some(uuid_v4(self.rng));
        backup.created_at = Some(timestamp_from_micros(created));
        backup.updated_at = Some(timestamp_from_micros(updated));
        backup.protected_at = protected.map(timestamp_from_micros);
        backup.expired_at = expired.map(timestamp_from_micros);
        backup.description = match (manual, self.rng.gen_range(0..4)) {
            (true, 0) => Some("manual backup before maintenance".to_owned()),
            (true, 1) => Some(String::new()),
            _ => None,
        };
        backup.enterprise_project_id = Some(resource.enterprise_project.to_owned());
        backup.image_type = Some(if replica { ImageType::Replication } else { ImageType::Backup });
        backup.incremental = Some(!manual && self.rng.gen_ratio(4, 5));
        backup.name = Some(name);
        backup.parent_id = None;
        backup.project_id = Some(self.project_id.to_owned());
        backup.resource_az = Some(resource.az.to_owned());
        backup.resource_id = Some(resource.id.clone());
        backup.resource_name = Some(resource.name.clone());
        backup.resource_size = Some(resource.size);
        backup.status = Some(status);
        backup.vault_id = Some(VAULT_IDS[if replica { 5 } else { resource.vault }].to_owned());
        backup.replication_records = Some(Vec::new());
        backup.children = Some(Vec::new());
        let auto_trigger = !manual;
        match resource.kind {
            Kind::Server => {
                backup.resource_type = Some(ResourceType::NovaServer);
                backup.provider_id = Some(SERVER_PROVIDER_ID.to_owned());
                backup.extend_info =
                    Some(server_info(auto_trigger, progress.clone(), resource.architecture));
                if !pending && self.rng.gen_ratio(1, 3) {
                    let children = resource
                        .disks
                        .iter()
                        .map(|disk| self.child(&backup, disk, auto_trigger, progress.clone()))
                        .collect();
                    backup.children = Some(children);
                }
            }
            Kind::Volume => {
                backup.resource_type = Some(ResourceType::CinderVolume);
                backup.provider_id = Some(DISK_PROVIDER_ID.to_owned());
                let snapshot = uuid_v4(self.rng);
                backup.extend_info =
                    Some(disk_info(auto_trigger, progress, resource.system_disk, snapshot));
            }
            Kind::Turbo => {
                backup.resource_type = Some(ResourceType::SfsTurbo);
                backup.provider_id = Some(TURBO_PROVIDER_ID.to_owned());
                backup.extend_info = Some(turbo_info(auto_trigger, progress));
            }
        }
        if !replica && !pending && self.rng.gen_ratio(1, 30) {
            let record = self.replication_record(&backup, protected.unwrap_or(created));
            backup.replication_records = Some(vec![record]);
        }
        backup
    }

    /// The backup of one disk of a whole-server backup.
    fn child(&mut self, parent: &Backup, disk: &Disk, auto: bool, progress: Value) -> Backup {
        let mut child = Backup::default();
        child.id = Some(uuid_v4(self.rng));
        child.parent_id = parent.id.clone();
        child.checkpoint_id = parent.checkpoint_id.clone();
        child.created_at = parent.created_at.clone();
        child.updated_at = parent.updated_at.clone();
        child.protected_at = parent.protected_at.clone();
        child.expired_at = parent.expired_at.clone();
        child.description = None;
        child.enterprise_project_id = parent.enterprise_project_id.clone();
        child.image_type = parent.image_type.clone();
        child.incremental = parent.incremental;
        child.name = parent.name.clone();
        child.project_id = parent.project_id.clone();
        child.resource_az = parent.resource_az.clone();
        child.resource_id = Some(disk.id.clone());
        child.resource_name = Some(disk.name.clone());
        child.resource_size = Some(disk.size);
        child.resource_type = Some(ResourceType::CinderVolume);
        child.provider_id = Some(DISK_PROVIDER_ID.to_owned());
        child.status = parent.status.clone();
        child.vault_id = parent.vault_id.clone();
        child.children = Some(Vec::new());
        child.replication_records = Some(Vec::new());
        let snapshot = uuid_v4(self.rng);
        child.extend_info = Some(disk_info(auto, progress, disk.system, snapshot));
        child
    }

    fn replication_record(&mut self, backup: &Backup, after: i64) -> ReplicationRecord {
        let mut extra = ReplicationExtraInfo::default();
        extra.auto_trigger = Some(true);
        extra.destination_vault_id = Some(uuid_v4(self.rng));
        extra.fail_code = Some(String::new());
        extra.fail_reason = Some(String::new());
        extra.progress = Some(100);
        let mut record = ReplicationRecord::default();
        record.id = Some(uuid_v4(self.rng));
        record.created_at = Some(timestamp_from_micros(after + self.micros(60, 900)));
        record.destination_backup_id = Some(uuid_v4(self.rng));
        record.destination_checkpoint_id = Some(uuid_v4(self.rng));
        record.destination_project_id = Some(uuid_v4(self.rng).replace('-', ""));
        record.destination_region = Some("sa-brazil-2".to_owned());
        record.destination_vault_id = extra.destination_vault_id.clone();
        record.extra_info = Some(extra);
        record.source_backup_id = backup.id.clone();
        record.source_checkpoint_id = backup.checkpoint_id.clone();
        record.source_project_id = backup.project_id.clone();
        record.source_region = Some("sa-brazil-1".to_owned());
        record.status = Some(ReplicationStatus::Success);
        record.vault_id = backup.vault_id.clone();
        record
    }
}

fn app_consistency() -> Value {
    let mut map = Map::new();
    map.insert("app_consistency".to_owned(), Value::from("0"));
    map.insert("app_consistency_status".to_owned(), Value::from("0"));
    map.insert("app_consistency_error_code".to_owned(), Value::from("0"));
    map.insert("app_consistency_error_message".to_owned(), Value::from(""));
    Value::Object(map)
}

/// `extend_info` of a whole-server backup, shaped like the published ones.
fn server_info(auto_trigger: bool, progress: Value, architecture: &str) -> BackupExtendInfo {
    let mut info = BackupExtendInfo::default();
    info.auto_trigger = Some(auto_trigger);
    info.bootable = None;
    info.os_images_data = None;
    info.snapshot_id = None;
    info.support_lld = Some(false);
    info.supported_restore_mode = Some(RestoreMode::Backup);
    info.system_disk = Some(false);
    info.contain_system_disk = Some(true);
    info.extra.insert("app_consistency".to_owned(), app_consistency());
    info.extra.insert("progress".to_owned(), progress);
    info.extra.insert("architecture".to_owned(), Value::from(architecture));
    info
}

/// `extend_info` of a disk backup.
fn disk_info(
    auto_trigger: bool,
    progress: Value,
    system: bool,
    snapshot: String,
) -> BackupExtendInfo {
    let mut info = BackupExtendInfo::default();
    info.auto_trigger = Some(auto_trigger);
    info.bootable = Some(system);
    info.encrypted = Some(false);
    info.os_images_data = None;
    info.snapshot_id = Some(snapshot);
    info.support_lld = Some(true);
    info.supported_restore_mode = None;
    info.system_disk = Some(system);
    info.contain_system_disk = None;
    info.extra.insert("progress".to_owned(), progress);
    info
}

/// `extend_info` of an SFS Turbo backup.
fn turbo_info(auto_trigger: bool, progress: Value) -> BackupExtendInfo {
    let mut info = BackupExtendInfo::default();
    info.auto_trigger = Some(auto_trigger);
    info.support_lld = Some(false);
    info.supported_restore_mode = Some(RestoreMode::Na);
    info.system_disk = Some(false);
    info.extra.insert("progress".to_owned(), progress);
    info
}
