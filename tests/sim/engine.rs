//! Deterministic simulation of the token manager (`core::manager`): a
//! seeded generator builds a client (dialect, timer mode, store, leeway,
//! timeout, a fault profile) and a schedule of steps (callers asking and
//! giving up, time passing, token responses of every fault class with
//! random delays or never, store answers, hangs and garbage, timer fires,
//! clock jumps, invalidate, 401 refusals, free), runs the manager through
//! it as a shell would, and checks the manager's invariants after every
//! step. A failing seed is replayed with a log of every step and action.

#![allow(dead_code)]

use edge_auth::core::config::{Config, OptionValue, Options};
use edge_auth::core::encoding::{base64_encode, form_urlencode, json_string};
use edge_auth::core::manager::{
    Action, CallerId, FlightId, LeaseAnswer, RequestId, ResponseBody, SendFailure, Settings, SignId, StoreAnswer, StoreOpId, TokenManager, TokenResponse,
};
use edge_auth::core::response::Token;
use edge_auth::core::rng::Rng;
use edge_auth::core::schedule::{MAX_RETRY_AFTER_MS, MAX_TIMER_STEP_MS, MAX_TOKEN_RETRIES};
use edge_auth::core::secret::Secret;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

const T0: u64 = 1_700_000_000_000;
pub const DIALECTS: [&str; 5] = ["younium", "younium-v1", "union", "papaya", "oauth2"];

struct Opts(Vec<(&'static str, OptionValue)>);

impl Options for Opts {
    fn get(&self, name: &'static str) -> OptionValue {
        self.0.iter().find(|(k, _)| *k == name).map_or(OptionValue::Absent, |(_, v)| v.clone())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Auto-refresh by timer (browsers, Deno, Node).
    Timers,
    /// Workers: no timer, lazy expiry.
    Workers,
    /// Workers with `autoRefresh: true`: background hand-out, no timer.
    WorkersBackground,
}

/// What one schedule is made of.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub seed: u64,
    pub dialect: &'static str,
    pub mode: Mode,
    pub store: bool,
    pub timeout_ms: u32,
    pub leeway_s: u32,
    /// Token lifetimes the vendor gives, in seconds.
    pub lifetimes: Vec<u64>,
    /// Chance that a token request meets a fault.
    pub fault_rate: f64,
    /// Chance that a fault is a response that never arrives.
    pub lost_rate: f64,
    pub steady: bool,
    pub steps: usize,
    /// How the vendor answers the first token requests, and after how
    /// long (regressions); then the fault profile decides.
    pub script: Vec<(Outcome, u64)>,
    /// How the store answers its first calls: after how long, and what.
    pub store_script: Vec<(u64, StoreKind)>,
    /// The store has a lease (`lease(key, ttlMs)`).
    pub lease: bool,
    /// How the first lease requests are answered: after how long, and what.
    pub lease_script: Vec<(u64, LeaseKind)>,
    /// oauth2: the formats the server refuses (detection has to find the other).
    pub server: Server,
    /// How the client authenticates by a signed assertion, if it does.
    pub signing: Signing,
}

/// A client that signs: each token request is preceded by a `Sign` the
/// simulated shell answers (after a delay, sometimes with a failure, or never).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Signing {
    #[default]
    None,
    PrivateKeyJwt,
    ClientSecretJwt,
    /// `provider: "google"` (the JWT-bearer grant).
    Google,
}

/// An oauth2 server's format: which of the client's first guesses it refuses,
/// and how (RFC 6749 servers differ).
#[derive(Clone, Copy, Debug, Default)]
pub struct Server {
    /// A JSON body is refused (415, or 400 `invalid_request`); only a form works.
    pub refuses_json: bool,
    /// Credentials in the body are refused (401 `invalid_client`); only Basic works.
    pub refuses_body_auth: bool,
    /// Refuses JSON with a 415 (else a 400 `invalid_request`).
    pub json_415: bool,
}

/// How a token request was sent: (a form body, credentials in HTTP Basic).
pub type Format = (bool, bool);

pub fn format_of(http: &edge_auth::core::dialect::HttpRequest) -> Format {
    let header = |name: &str| http.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.expose().to_owned());
    let form = header("content-type").is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let basic = header("authorization").is_some_and(|v| v.starts_with("Basic "));
    (form, basic)
}

/// A store call's answer, for scripts.
#[derive(Clone, Copy, Debug)]
pub enum StoreKind {
    /// What the store holds (a miss when empty); a write is kept.
    Normal,
    Miss,
    Garbage,
    Failed,
    Hang,
}

/// A lease request's answer, for scripts.
#[derive(Clone, Copy, Debug)]
pub enum LeaseKind {
    Granted,
    /// Another client holds it and writes a token of this lifetime after
    /// this long (ms).
    HeldWrites { after: u64, lifetime_s: u64 },
    /// Another client holds it and dies: it writes nothing.
    HeldDies,
    Failed,
    Hang,
}

impl Scenario {
    pub fn generate(seed: u64) -> Scenario {
        let mut r = Rng::new(seed ^ 0x5EED_0F_51A1);
        let steady = r.below(10) == 0;
        let dialect = DIALECTS[r.below(5) as usize];
        let mode = if steady {
            Mode::Timers
        } else {
            [Mode::Timers, Mode::Timers, Mode::Workers, Mode::Workers, Mode::WorkersBackground][r.below(5) as usize]
        };
        let store = r.below(5) < 2;
        let timeout_ms = if steady { [1_000, 3_000][r.below(2) as usize] } else { [100, 300, 1_000, 3_000][r.below(4) as usize] };
        let leeway_s = if steady { [2, 5, 60][r.below(3) as usize] } else { [0, 1, 5, 60][r.below(4) as usize] };
        let pool: &[u64] = if steady { &[30, 120, 600, 3_600] } else { &[0, 1, 2, 5, 30, 120, 600, 3_600, 86_400] };
        let lifetimes = (0..1 + r.below(3)).map(|_| pool[r.below(pool.len() as u64) as usize]).collect();
        let fault_rate = if steady { 0.0 } else { [0.0, 0.1, 0.3, 0.7][r.below(4) as usize] };
        let lost_rate = if steady { 0.0 } else { [0.0, 0.05, 0.3][r.below(3) as usize] };
        let steps = 20 + r.below(100) as usize;
        let server = if dialect == "oauth2" {
            Server { refuses_json: r.below(3) == 0, refuses_body_auth: r.below(3) == 0, json_415: r.below(2) == 0 }
        } else {
            Server::default()
        };
        // Drawn apart, so that the schedules without a lease stay as they were.
        let lease = store && Rng::new(seed ^ 0x1EA5E).below(2) == 0;
        // Drawn last, so that every other draw of a seed stays as it was.
        let signing = if dialect == "oauth2" { [Signing::None, Signing::PrivateKeyJwt, Signing::ClientSecretJwt, Signing::Google][r.below(4) as usize] } else { Signing::None };
        let (dialect, server) = match signing {
            Signing::None => (dialect, server),
            Signing::Google => ("google", Server::default()),
            _ => (dialect, Server::default()),
        };
        Scenario { seed, dialect, mode, store, timeout_ms, leeway_s, lifetimes, fault_rate, lost_rate, steady, steps, script: Vec::new(), store_script: Vec::new(), lease, lease_script: Vec::new(), server, signing }
    }

    /// A scenario for a hand-written schedule: no faults unless scripted.
    pub fn fixed(dialect: &'static str, mode: Mode, store: bool) -> Scenario {
        Scenario {
            seed: 1,
            dialect,
            mode,
            store,
            timeout_ms: 1_000,
            leeway_s: 60,
            lifetimes: vec![3_600],
            fault_rate: 0.0,
            lost_rate: 0.0,
            steady: false,
            steps: 0,
            script: Vec::new(),
            store_script: Vec::new(),
            lease: false,
            lease_script: Vec::new(),
            server: Server::default(),
            signing: Signing::None,
        }
    }

    fn settings(&self) -> Settings {
        let (background, timers) = match self.mode {
            Mode::Timers => (true, true),
            Mode::Workers => (false, false),
            Mode::WorkersBackground => (true, false),
        };
        Settings { background, timers, store: self.store, lease: self.store && self.lease, seed: self.seed }
    }
}

/// The credentials of a scenario: values with characters that every
/// encoding changes, so an echo in any spelling is found.
pub struct Credentials {
    pub options: Vec<(&'static str, String)>,
    /// The values that must never be shown.
    pub secrets: Vec<String>,
}

/// A DER TLV (definite length).
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// A PKCS#8 RSA key the core accepts (its structure; the numbers are the
/// seed's, not a real key: the simulated shell's signature is a stand-in).
pub fn sim_pem(seed: u64) -> (String, String) {
    let mut modulus = vec![0u8];
    modulus.extend((0..256).map(|i| (seed.wrapping_mul(31).wrapping_add(i) % 251) as u8 | 0x80));
    let rsa = der(0x30, &[der(0x02, &[0]), der(0x02, &modulus), der(0x02, &[1, 0, 1]), der(0x02, &modulus[1..])].concat());
    let alg = der(0x30, &[der(0x06, &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]), der(0x05, &[])].concat());
    let body = base64_encode(&der(0x30, &[der(0x02, &[0]), alg, der(0x04, &rsa)].concat()));
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    (format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n")), body)
}

fn credentials(dialect: &str, seed: u64, signing: Signing) -> Credentials {
    let s = |name: &str| format!("{name}-{seed:x}&+ /=\"\\\u{fc}%");
    let (pem, body) = sim_pem(seed);
    match signing {
        Signing::PrivateKeyJwt => return Credentials { options: vec![("clientId", "oauth-client".into()), ("privateKey", pem), ("keyId", "kid-1".into())], secrets: vec![body] },
        Signing::ClientSecretJwt => {
            return Credentials { options: vec![("clientId", "oauth-client".into()), ("clientSecret", s("OAuthSecret")), ("clientAuth", "client_secret_jwt".into())], secrets: vec![s("OAuthSecret")] }
        }
        Signing::Google => {
            let account = serde_json::json!({"type": "service_account", "client_email": "sa@sim.iam.gserviceaccount.com", "private_key": pem, "private_key_id": "kid-g", "token_uri": "https://vendor.example/token"});
            return Credentials { options: vec![("serviceAccount", account.to_string()), ("scope", "https://www.googleapis.com/auth/sim".into())], secrets: vec![body] };
        }
        Signing::None => {}
    }
    let (options, secrets): (Vec<(&'static str, String)>, Vec<String>) = match dialect {
        "younium" | "younium-v1" => (vec![("clientId", "client-id-1".into()), ("secret", s("Secret"))], vec![s("Secret")]),
        "union" => (vec![("username", "member-user".into()), ("password", s("Password"))], vec![s("Password")]),
        "papaya" => (vec![("apiKey", s("ApiKey")), ("clientSecret", s("ClientSecret"))], vec![s("ApiKey"), s("ClientSecret")]),
        _ => (vec![("clientId", "oauth-client".into()), ("clientSecret", s("OAuthSecret"))], vec![s("OAuthSecret")]),
    };
    Credentials { options, secrets }
}

fn config(sc: &Scenario, creds: &Credentials) -> Config {
    let mut o: Vec<(&'static str, OptionValue)> = vec![
        ("provider", OptionValue::Str(sc.dialect.into())),
        ("baseUrl", OptionValue::Str("https://vendor.example".into())),
        ("timeoutMs", OptionValue::Num(sc.timeout_ms.into())),
        ("refreshLeewaySeconds", OptionValue::Num(sc.leeway_s.into())),
    ];
    for (k, v) in &creds.options {
        o.push((k, OptionValue::Str(v.clone())));
    }
    Config::from_options(&Opts(o)).expect("the scenario's options are valid")
}

/// One readable step of a schedule, as a reproduction prints it.
#[derive(Clone, Debug)]
pub enum Step {
    Ask { wait_until: bool },
    GiveUp(CallerId),
    /// Real time passes; everything due on the way is delivered in order.
    Advance(u64),
    /// The wall clock is set forward or back; no real time passes.
    ClockJump(i64),
    Invalidate,
    /// An API refused this token (401).
    Refuse(String),
    PageVisible,
    /// Another client puts a token of its own into the shared store.
    ExternalStoreWrite { lifetime_s: u64 },
    /// Something puts garbage into the shared store.
    StoreGarbage,
    Free,
}

/// How the vendor answers one token request.
#[derive(Clone, Debug)]
pub enum Outcome {
    Success { lifetime_s: u64, refresh_s: Option<u64> },
    Status { status: u16, retry_after: Option<String>, body: ErrorBody },
    Html200,
    BadJson200,
    NoToken200,
    Network,
    Timeout,
    Redirect,
    TooLarge,
    /// Never arrives.
    Lost,
    /// Arrives, but after the flight's bound.
    Late(Box<Outcome>),
}

#[derive(Clone, Copy, Debug)]
pub enum ErrorBody {
    Vendor,
    /// `invalid_client`.
    OAuth2,
    /// `invalid_request`: the request's format was refused.
    InvalidRequest,
    Html,
    Empty,
    /// A vendor that echoes what it was sent (credentials, the refresh token).
    Echo(u8),
}

enum Delivery {
    Response(RequestId, TokenResponse),
    Failure(RequestId, SendFailure),
    StoreRead(StoreOpId, StoreAnswer),
    StoreWritten(StoreOpId),
    Lease(StoreOpId, LeaseAnswer),
    /// The lease's other holder writes its token.
    HolderWrites { lifetime_s: u64 },
    Signed(SignId, Result<Vec<u8>, String>),
}

struct Pending {
    at: u64,
    seq: u64,
    what: Delivery,
}

#[derive(Default)]
struct CallerState {
    asked: u64,
    settled: Option<u64>,
    gone: bool,
    /// Its overlong wait was reported already.
    overdue: bool,
}

struct RequestRecord {
    flight: FlightId,
    refresh: bool,
    sent: u64,
    /// `elapsed` when it was sent.
    sent_elapsed: u64,
    flight_started_elapsed: u64,
    /// When the answer reached the manager (None: not yet, or never).
    answered: Option<u64>,
    /// The HTTP status it got, if a response came.
    status: Option<u16>,
    lost: bool,
    /// Its answer ignores an abort (it never comes, or comes late anyway).
    ignores_abort: bool,
    aborted: bool,
    /// `elapsed` when it was aborted.
    aborted_elapsed: u64,
    /// Its attempt's timeout (`timeoutMs`, or less near the deadline).
    timeout_ms: u32,
    format: Format,
    /// When its attempt began: when it was sent, or, for a client that
    /// signs, when its assertion was asked for (the retry wait ends there).
    began: u64,
}

#[derive(Default)]
struct FlightRecord {
    started: u64,
    /// `elapsed` when it started.
    started_elapsed: u64,
    requests: Vec<RequestId>,
    background: bool,
    /// `FlightEnded` came (or its overlong life was reported).
    ended: bool,
    /// `elapsed` when it was told another client holds the lease.
    held_at: Option<u64>,
}

/// The result of one schedule.
pub struct Run {
    pub violations: Vec<String>,
    pub log: Vec<String>,
    pub token_requests: usize,
    /// The format of every token request, in the order sent.
    pub formats: Vec<Format>,
    pub stats: Stats,
}

/// What the schedules exercised, so that a run that checks nothing shows.
#[derive(Default, Clone, Debug)]
pub struct Stats {
    pub resolved: u64,
    pub rejected: u64,
    pub rejected_timeout_bound: u64,
    pub retries: u64,
    /// oauth2 requests sent again at once in another format.
    pub resends: u64,
    pub fallbacks: u64,
    pub store_tokens: u64,
    /// Lease requests granted, and held by another client.
    pub leases_granted: u64,
    pub leases_held: u64,
    /// Flights told the lease was held that took the holder's token.
    pub lease_waits_served: u64,
    pub late_answers: u64,
    pub steady: u64,
    pub freed: u64,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.resolved += o.resolved;
        self.rejected += o.rejected;
        self.rejected_timeout_bound += o.rejected_timeout_bound;
        self.retries += o.retries;
        self.resends += o.resends;
        self.fallbacks += o.fallbacks;
        self.store_tokens += o.store_tokens;
        self.leases_granted += o.leases_granted;
        self.leases_held += o.leases_held;
        self.lease_waits_served += o.lease_waits_served;
        self.late_answers += o.late_answers;
        self.steady += o.steady;
        self.freed += o.freed;
    }
}

pub struct World {
    sc: Scenario,
    creds: Credentials,
    m: TokenManager,
    rng: Rng,
    /// Real time (never goes back) and the wall clock's offset from it.
    t: u64,
    skew: i64,
    /// Time as the manager measures it: real time plus the wall clock's
    /// forward jumps (it cannot tell one from the other).
    elapsed: u64,
    pending: Vec<Pending>,
    seq: u64,
    callers: BTreeMap<CallerId, CallerState>,
    requests: HashMap<RequestId, RequestRecord>,
    flights: BTreeMap<FlightId, FlightRecord>,
    background_starts: Vec<u64>,
    store_value: Option<String>,
    published: Option<(String, u64)>,
    issued: u64,
    /// Every access and refresh token the vendor issued.
    tokens: Vec<String>,
    freed_at: Option<usize>,
    step_no: usize,
    scripted: usize,
    store_scripted: usize,
    lease_scripted: usize,
    /// Lease requests out, by the flight that asked.
    lease_ops: HashMap<StoreOpId, (FlightId, usize)>,
    /// The real time until which another client holds the lease.
    other_lease_until: Option<u64>,
    steady_first_token: bool,
    sent_formats: Vec<Format>,
    /// Every `jti` signed so far, and the signing inputs not yet sent.
    jtis: std::collections::HashSet<String>,
    signing_inputs: std::collections::HashSet<String>,
    sign_asked: Option<u64>,
    /// Flights the refresh timer started since the last caller asked.
    idle_renewals: u32,
    pub violations: Vec<String>,
    pub stats: Stats,
    logging: bool,
    pub log: Vec<String>,
}

impl World {
    pub fn new(sc: Scenario, logging: bool) -> World {
        let creds = credentials(sc.dialect, sc.seed, sc.signing);
        let cfg = config(&sc, &creds);
        let mut m = TokenManager::new(cfg, sc.settings(), T0);
        // As the shell does once it has hashed the key material.
        m.set_store_key(edge_auth::core::store::key(&[0x5a; 32]));
        let rng = Rng::new(sc.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1CE);
        let mut w = World {
            sc,
            creds,
            m,
            rng,
            t: T0,
            skew: 0,
            elapsed: 0,
            pending: Vec::new(),
            seq: 0,
            callers: BTreeMap::new(),
            requests: HashMap::new(),
            flights: BTreeMap::new(),
            background_starts: Vec::new(),
            store_value: None,
            published: None,
            issued: 0,
            tokens: Vec::new(),
            freed_at: None,
            step_no: 0,
            scripted: 0,
            store_scripted: 0,
            lease_scripted: 0,
            lease_ops: HashMap::new(),
            other_lease_until: None,
            steady_first_token: false,
            sent_formats: Vec::new(),
            jtis: Default::default(),
            signing_inputs: Default::default(),
            sign_asked: None,
            idle_renewals: 0,
            violations: Vec::new(),
            stats: Stats::default(),
            logging,
            log: Vec::new(),
        };
        if w.logging {
            let sc = &w.sc;
            w.log.push(format!(
                "scenario seed={} dialect={} mode={:?} store={} timeoutMs={} leeway={}s lifetimes={:?}s fault_rate={} lost_rate={} steady={} (flight bound {} ms, caller bound {} ms)",
                sc.seed,
                sc.dialect,
                sc.mode,
                sc.store,
                sc.timeout_ms,
                sc.leeway_s,
                sc.lifetimes,
                sc.fault_rate,
                sc.lost_rate,
                sc.steady,
                w.m.flight_bound_ms(),
                w.m.caller_bound_ms()
            ));
        }
        w
    }

    fn wall(&self) -> u64 {
        (self.t as i64 + self.skew) as u64
    }

    fn note(&mut self, line: impl FnOnce() -> String) {
        if self.logging {
            let l = line();
            self.log.push(format!("[{:>4}] t=+{}ms {}", self.step_no, self.t - T0, l));
        }
    }

    fn violate(&mut self, what: String) {
        if self.violations.len() < 20 {
            let line = format!("step {} t=+{}ms: {}", self.step_no, self.t - T0, what);
            if self.logging {
                self.log.push(format!("       !!! VIOLATION: {what}"));
            }
            self.violations.push(line);
        }
    }

    // ----- generating steps -----

    pub fn next_step(&mut self) -> Step {
        let r = &mut self.rng;
        let lifetime_ms = self.sc.lifetimes.iter().max().copied().unwrap_or(60) * 1000;
        if self.sc.steady {
            return match r.below(100) {
                0..=39 => Step::Ask { wait_until: r.below(2) == 0 },
                40..=69 => Step::Advance(1 + r.below(50)),
                70..=94 => Step::Advance(50 + r.below(3_000)),
                _ => Step::Advance(1 + r.below((lifetime_ms / 3).max(2))),
            };
        }
        let waiting: Vec<CallerId> = self.callers.iter().filter(|(_, c)| c.settled.is_none() && !c.gone).map(|(id, _)| *id).collect();
        loop {
            let roll = r.below(1000);
            let step = match roll {
                0..=279 => Step::Ask { wait_until: r.below(3) == 0 },
                280..=309 if !waiting.is_empty() => Step::GiveUp(waiting[r.below(waiting.len() as u64) as usize]),
                310..=509 => Step::Advance(1 + r.below(50)),
                510..=689 => Step::Advance(50 + r.below(3_000)),
                690..=739 => Step::Advance(3_000 + r.below(lifetime_ms.clamp(3_000, 7_200_000))),
                740..=759 => Step::Invalidate,
                760..=799 => {
                    let token = match (&self.published, self.tokens.is_empty()) {
                        (Some((t, _)), _) if r.below(4) != 0 => t.clone(),
                        (_, false) => self.tokens[r.below(self.tokens.len() as u64) as usize].clone(),
                        _ => "never-issued".into(),
                    };
                    Step::Refuse(token)
                }
                800..=819 => Step::PageVisible,
                820..=839 => {
                    let mag = [1_000i64, 60_000, 3_600_000, 86_400_000][r.below(4) as usize];
                    Step::ClockJump(if r.below(2) == 0 { mag } else { -mag })
                }
                840..=859 if self.sc.store => Step::ExternalStoreWrite { lifetime_s: self.sc.lifetimes[r.below(self.sc.lifetimes.len() as u64) as usize] },
                860..=869 if self.sc.store => Step::StoreGarbage,
                870..=876 => Step::Free,
                _ => continue,
            };
            return step;
        }
    }

    // ----- running steps -----

    pub fn run_step(&mut self, step: &Step) {
        self.step_no += 1;
        self.note(|| format!("{step:?}"));
        let before = self.m.token().map(|t| (t.access_token.expose().to_owned(), t.expires_at));
        let wall_before = self.wall();
        match step {
            Step::Ask { wait_until } => {
                let wall = self.wall();
                let id = self.m.ask(wall, *wait_until);
                self.callers.insert(id, CallerState { asked: self.t, ..Default::default() });
                self.note(|| format!("  asked: {id:?}"));
                // After MAX_IDLE_RENEWALS timer renewals with no caller the
                // timer stops (docs/API.md §6): the caller after that may wait.
                let idle_stopped = self.idle_renewals >= edge_auth::core::cache::MAX_IDLE_RENEWALS;
                self.idle_renewals = 0;
                let was_steady = self.steady_first_token && !idle_stopped;
                self.drain("ask");
                if idle_stopped {
                    self.steady_first_token = false;
                }
                if self.sc.steady && was_steady && self.callers.get(&id).is_some_and(|c| c.settled.is_none()) {
                    self.violate(format!("steady caller {id:?} waits although auto-refresh has a token"));
                }
            }
            Step::GiveUp(id) => {
                let wall = self.wall();
                self.m.give_up(wall, *id);
                if let Some(c) = self.callers.get_mut(id) {
                    c.gone = true;
                }
                self.drain("give_up");
            }
            Step::Advance(ms) => self.advance(*ms),
            Step::ClockJump(d) => {
                self.skew += d;
                self.elapsed += (*d).max(0) as u64;
                let wall = self.wall();
                self.m.timer(wall);
                self.drain("timer after clock jump");
            }
            Step::Invalidate => {
                let wall = self.wall();
                self.m.invalidate(wall);
                self.drain("invalidate");
            }
            Step::Refuse(token) => {
                let wall = self.wall();
                // Whether an API accepted the token before (the refusal window's rule).
                let accepted = self.rng.below(2) == 0;
                self.m.refuse(wall, token, accepted);
                self.drain("refuse");
            }
            Step::PageVisible => {
                let wall = self.wall();
                self.m.page_visible(wall);
                self.drain("page_visible");
            }
            Step::ExternalStoreWrite { lifetime_s } => self.external_write(*lifetime_s),
            Step::StoreGarbage => self.store_value = Some("not json {".into()),
            Step::Free => {
                let wall = self.wall();
                self.m.free(wall);
                self.drain("free");
                if self.freed_at.is_none() {
                    self.freed_at = Some(self.step_no);
                }
            }
        }
        self.check_state(step, before, wall_before);
    }

    /// Lets `ms` of real time pass, delivering answers and timer calls in order.
    fn advance(&mut self, ms: u64) {
        let target = self.t + ms;
        loop {
            let next_delivery = self.pending.iter().filter(|p| p.at <= target).map(|p| (p.at, p.seq)).min();
            let timer = self.m.poll_timeout().map(|to| {
                let real = to.at as i64 - self.skew;
                (real.max(self.t as i64)) as u64
            });
            let timer = timer.filter(|at| *at <= target);
            match (next_delivery, timer) {
                (Some((at, seq)), tm) if tm.is_none_or(|tm| at <= tm) => {
                    self.move_to(at);
                    let i = self.pending.iter().position(|p| p.seq == seq).unwrap();
                    let p = self.pending.swap_remove(i);
                    self.deliver(p.what);
                }
                (_, Some(tm)) => {
                    self.move_to(tm);
                    let wall = self.wall();
                    self.note(|| "  timer fires".to_string());
                    self.m.timer(wall);
                    self.drain("timer");
                    // A timer that is due now and still due after firing is a busy loop.
                    if let Some(to) = self.m.poll_timeout() {
                        if (to.at as i64 - self.skew) < self.t as i64 {
                            self.violate(format!("poll_timeout {} is in the past after timer() at {}", to.at, wall));
                            break;
                        }
                    }
                }
                _ => break,
            }
            if self.violations.len() > 10 {
                break;
            }
        }
        self.move_to(target);
        let wall = self.wall();
        self.m.timer(wall);
        self.drain("timer");
    }

    fn move_to(&mut self, at: u64) {
        if at > self.t {
            self.elapsed += at - self.t;
            self.t = at;
        }
    }

    fn deliver(&mut self, what: Delivery) {
        let wall = self.wall();
        match what {
            Delivery::Response(id, resp) => {
                self.note(|| format!("  deliver {id:?}: HTTP {} {:?}", resp.status, resp.body));
                if let Some(r) = self.requests.get_mut(&id) {
                    r.answered = Some(self.t);
                    r.status = Some(resp.status);
                    if self.elapsed >= r.flight_started_elapsed + self.m.flight_bound_ms() {
                        self.stats.late_answers += 1;
                    }
                }
                self.m.token_response(wall, id, resp);
            }
            Delivery::Failure(id, f) => {
                self.note(|| format!("  deliver {id:?}: {f:?}"));
                if let Some(r) = self.requests.get_mut(&id) {
                    r.answered = Some(self.t);
                }
                self.m.token_request_failed(wall, id, f);
            }
            Delivery::StoreRead(op, answer) => {
                self.note(|| format!("  store read {op:?} answers {}", match &answer { StoreAnswer::Value(v) if v.starts_with('{') => "a value", StoreAnswer::Value(_) => "garbage", StoreAnswer::Miss => "miss", StoreAnswer::Failed => "failure" }));
                self.m.store_read(wall, op, answer);
            }
            Delivery::StoreWritten(op) => {
                self.note(|| format!("  store write {op:?} done"));
                self.m.store_written(wall, op);
            }
            Delivery::Lease(op, answer) => {
                self.note(|| format!("  lease {op:?} answers {answer:?}"));
                if answer == LeaseAnswer::Held {
                    // The flight waiting on this op, if it still does.
                    let e = self.elapsed;
                    // (Unless the manager gave up on the lease call and asked the vendor.)
                    if let Some((f, sent)) = self.lease_ops.remove(&op).and_then(|(f, n)| self.flights.get_mut(&f).map(|f| (f, n))) {
                        if f.requests.len() == sent {
                            f.held_at = Some(e);
                        }
                    }
                }
                self.m.lease_answer(wall, op, answer);
            }
            Delivery::HolderWrites { lifetime_s } => {
                self.note(|| format!("  the lease's holder writes a token of {lifetime_s} s"));
                self.external_write(lifetime_s);
                self.other_lease_until = None;
                return;
            }
            Delivery::Signed(op, result) => {
                self.note(|| format!("  signed {op:?}: {}", if result.is_ok() { "a signature" } else { "a failure" }));
                self.m.signed(wall, op, result);
            }
        }
        self.drain("delivery");
    }

    fn schedule(&mut self, at: u64, what: Delivery) {
        self.seq += 1;
        self.pending.push(Pending { at, seq: self.seq, what });
    }

    // ----- the shell: performing actions -----

    fn drain(&mut self, during: &str) {
        let mut emitted = 0;
        while let Some(action) = self.m.poll() {
            emitted += 1;
            let shown = format!("{action:?}");
            self.note(|| format!("  → {shown}"));
            self.check_leak(&shown, "an action's Debug", false);
            if let Some(step) = self.freed_at {
                // After free() a caller that asks is rejected at once; nothing else happens.
                let rejected_ask = matches!(&action, Action::Reject { failure, .. } if during == "ask" && failure.message.contains("freed"));
                if step < self.step_no && !rejected_ask {
                    self.violate(format!("after free(): {during} emitted {shown}"));
                }
            }
            self.perform(action);
        }
        if emitted == 0 && self.freed_at.is_some_and(|s| s < self.step_no) && self.m.poll_timeout().is_some() {
            self.violate("after free(): poll_timeout is still armed".into());
        }
    }

    fn perform(&mut self, action: Action) {
        match action {
            Action::SendTokenRequest { request, flight, http, timeout_ms } => self.send(request, flight, http, timeout_ms),
            Action::Sign { op, input } => self.sign(op, input),
            Action::ReadStore { op, flight, bound_ms } => {
                let waiting = self.callers.values().any(|c| c.settled.is_none() && !c.gone);
                let (t, e) = (self.t, self.elapsed);
                // A renewal by the timer counts as idle even when the store answers it.
                if !waiting && !self.flights.contains_key(&flight) {
                    self.idle_renewals = self.idle_renewals.saturating_add(1);
                }
                self.flights.entry(flight).or_insert_with(|| FlightRecord { started: t, started_elapsed: e, requests: Vec::new(), background: !waiting, ended: false, held_at: None });
                if let Some((delay, kind)) = self.sc.store_script.get(self.store_scripted).copied() {
                    self.store_scripted += 1;
                    let answer = match (kind, &self.store_value) {
                        (StoreKind::Normal, Some(v)) => StoreAnswer::Value(v.clone()),
                        (StoreKind::Normal | StoreKind::Miss, _) => StoreAnswer::Miss,
                        (StoreKind::Garbage, _) => StoreAnswer::Value("not json {".into()),
                        (StoreKind::Failed, _) => StoreAnswer::Failed,
                        (StoreKind::Hang, _) => return,
                    };
                    let at = self.t + delay;
                    return self.schedule(at, Delivery::StoreRead(op, answer));
                }
                let r = &mut self.rng;
                let delay = if r.below(10) == 0 { u64::from(bound_ms) + r.below(2_000) } else { r.below(50) };
                let roll = if self.sc.steady { r.below(50) } else { r.below(100) };
                let answer = match roll {
                    0..=59 => match &self.store_value {
                        Some(v) => StoreAnswer::Value(v.clone()),
                        None => StoreAnswer::Miss,
                    },
                    60..=74 => StoreAnswer::Miss,
                    75..=84 => StoreAnswer::Value(["not json {", "{\"v\":2}", "null", "{\"v\":1,\"accessToken\":\"a b\",\"expiresAt\":5,\"obtainedAt\":1}"][r.below(4) as usize].into()),
                    85..=94 => StoreAnswer::Failed,
                    _ => return, // hangs: never answers
                };
                let at = self.t + delay;
                self.schedule(at, Delivery::StoreRead(op, answer));
            }
            Action::WriteStore { op, value, ttl_seconds, bound_ms } => {
                self.check_leak(value.expose(), "a store value", false);
                if ttl_seconds < 60 {
                    self.violate(format!("store write with expirationTtl {ttl_seconds} < 60"));
                }
                if let Some((delay, kind)) = self.sc.store_script.get(self.store_scripted).copied() {
                    self.store_scripted += 1;
                    if matches!(kind, StoreKind::Normal) {
                        self.store_value = Some(value.expose().to_owned());
                    }
                    if !matches!(kind, StoreKind::Hang) {
                        let at = self.t + delay;
                        self.schedule(at, Delivery::StoreWritten(op));
                    }
                    return;
                }
                let r = &mut self.rng;
                let roll = r.below(20);
                if roll < 17 {
                    self.store_value = Some(value.expose().to_owned());
                }
                if roll < 19 {
                    let delay = if r.below(10) == 0 { u64::from(bound_ms) + r.below(2_000) } else { r.below(50) };
                    let at = self.t + delay;
                    self.schedule(at, Delivery::StoreWritten(op));
                }
            }
            Action::AcquireLease { op, flight, ttl_ms, bound_ms } => {
                if !self.sc.lease {
                    return self.violate("a lease asked of a store without one".into());
                }
                let wanted = self.sc.timeout_ms + edge_auth::core::manager::STORE_BOUND_MS;
                if ttl_ms != wanted {
                    self.violate(format!("a lease of {ttl_ms} ms, not timeoutMs plus a store call ({wanted} ms)"));
                }
                let sent = self.flights.get(&flight).map_or(0, |f| f.requests.len());
                self.lease_ops.insert(op, (flight, sent));
                let t = self.t;
                let held = self.other_lease_until.is_some_and(|u| u > t);
                let (delay, kind) = match self.sc.lease_script.get(self.lease_scripted).copied() {
                    Some(scripted) => {
                        self.lease_scripted += 1;
                        scripted
                    }
                    None => {
                        let r = &mut self.rng;
                        let delay = if r.below(10) == 0 { u64::from(bound_ms) + r.below(2_000) } else { r.below(50) };
                        let ttl = u64::from(ttl_ms);
                        let lifetime_s = self.sc.lifetimes[r.below(self.sc.lifetimes.len() as u64) as usize];
                        let kind = match r.below(100) {
                            _ if held => LeaseKind::HeldDies,
                            0..=39 => LeaseKind::Granted,
                            // The holder's token comes within the wait, or after it.
                            40..=64 => LeaseKind::HeldWrites { after: r.below(ttl + 500), lifetime_s },
                            65..=79 => LeaseKind::HeldDies,
                            80..=92 => LeaseKind::Failed,
                            _ => LeaseKind::Hang,
                        };
                        (delay, kind)
                    }
                };
                let at = t + delay;
                let answer = match kind {
                    LeaseKind::Granted => {
                        self.stats.leases_granted += 1;
                        LeaseAnswer::Granted
                    }
                    LeaseKind::HeldWrites { after, lifetime_s } => {
                        self.stats.leases_held += 1;
                        self.other_lease_until = Some(t + u64::from(ttl_ms));
                        self.schedule(t + after, Delivery::HolderWrites { lifetime_s });
                        LeaseAnswer::Held
                    }
                    LeaseKind::HeldDies => {
                        self.stats.leases_held += 1;
                        if !held {
                            self.other_lease_until = Some(t + u64::from(ttl_ms));
                        }
                        LeaseAnswer::Held
                    }
                    LeaseKind::Failed => LeaseAnswer::Failed,
                    LeaseKind::Hang => return,
                };
                self.schedule(at, Delivery::Lease(op, answer));
            }
            Action::Resolve { caller, access_token } => {
                let token = access_token.expose().to_owned();
                self.stats.resolved += 1;
                self.settle(caller, "resolved");
                if !self.tokens.contains(&token) {
                    self.violate(format!("{caller:?} resolved with a token nobody issued"));
                }
                if self.sc.steady {
                    self.steady_first_token = true;
                }
            }
            Action::Reject { caller, failure } => {
                self.check_leak(&failure.message, "a failure message", true);
                for m in &failure.messages {
                    self.check_leak(m, "a failure's vendor messages", true);
                }
                self.stats.rejected += 1;
                if failure.message.starts_with("no token within") {
                    self.stats.rejected_timeout_bound += 1;
                }
                self.settle(caller, "rejected");
            }
            Action::Publish(p) => {
                self.published = p.map(|p| (p.access_token.expose().to_owned(), p.until));
            }
            Action::OnToken(info) => {
                if info.access_token.expose().starts_with("ext-") {
                    self.stats.store_tokens += 1;
                    if self.flights.values().any(|f| !f.ended && f.held_at.is_some()) {
                        self.stats.lease_waits_served += 1;
                    }
                }
                let shown = format!("{info:?}");
                self.check_leak(&shown, "onToken's TokenInfo", false);
            }
            Action::ReportStoreError(message) => self.check_leak(message, "a store error", true),
            Action::AbortTokenRequest(request) => {
                // The manager's deadline: at timeoutMs after the request went out.
                let Some(r) = self.requests.get_mut(&request) else { return self.violate(format!("{request:?} aborted but never sent")) };
                if r.aborted {
                    return self.violate(format!("{request:?} aborted twice"));
                }
                r.aborted = true;
                r.aborted_elapsed = self.elapsed;
                let (sent_elapsed, answered, ignores) = (r.sent_elapsed, r.answered, r.ignores_abort);
                // (An answer arriving at the deadline itself may meet its abort: harmless.)
                if answered.is_some_and(|a| a < self.t) {
                    return self.violate(format!("{request:?} aborted after its answer"));
                }
                // On the manager's clock (a wall clock jumping forward ends waits early).
                let own_timeout = self.requests[&request].timeout_ms;
                if self.elapsed < sent_elapsed + u64::from(own_timeout) {
                    self.violate(format!("{request:?} aborted {} ms after it was sent, before timeoutMs", self.elapsed - sent_elapsed));
                }
                if answered.is_some() {
                    return;
                }
                if !ignores {
                    // fetch honours the abort: what was on its way is dropped.
                    self.pending.retain(|p| !matches!(&p.what, Delivery::Response(id, _) | Delivery::Failure(id, _) if *id == request));
                    let t = self.t;
                    self.schedule(t, Delivery::Failure(request, SendFailure::Timeout("token request timed out after the deadline (before a response arrived)".into())));
                }
            }
            Action::FlightEnded(f) => match self.flights.get_mut(&f) {
                Some(r) if r.ended => self.violate(format!("{f:?} ended twice")),
                Some(r) => r.ended = true,
                None => {}
            },
            Action::WaitUntil { .. } => {}
        }
    }

    /// Another client puts a token of its own into the shared store.
    fn external_write(&mut self, lifetime_s: u64) {
        self.issued += 1;
        let name = format!("ext-{}-{}", self.sc.seed, self.issued);
        self.tokens.push(name.clone());
        let wall = self.wall();
        let token = Token {
            access_token: Secret::new(name),
            token_type: "Bearer".into(),
            obtained_at: wall,
            expires_at: wall + lifetime_s * 1000,
            refresh_token: None,
            refresh_expires_at: None,
            scope: None,
        };
        self.store_value = edge_auth::core::store::encode(&token, self.m.store_key()).map(|v| v.expose().to_owned());
    }

    fn settle(&mut self, caller: CallerId, how: &str) {
        let t = self.t;
        let bound = self.m.caller_bound_ms();
        match self.callers.get_mut(&caller) {
            None => self.violate(format!("{caller:?} {how} but it never asked")),
            Some(c) if c.settled.is_some() => self.violate(format!("{caller:?} {how} twice")),
            Some(c) if c.gone => self.violate(format!("{caller:?} {how} after it gave up")),
            Some(c) => {
                c.settled = Some(t);
                let waited = t - c.asked;
                if waited > bound && !c.overdue {
                    self.violate(format!("{caller:?} {how} after {waited} ms, over the caller bound of {bound} ms"));
                }
            }
        }
    }

    /// The shell signs: the claims are checked (fresh `jti`, `iat` now,
    /// the lifetime, `aud`), the signature is a stand-in, and it comes after
    /// a few ms, or fails, or never comes (the manager's bound covers that).
    fn sign(&mut self, op: SignId, input: String) {
        if self.sc.signing == Signing::None {
            return self.violate(format!("{op:?}: a client that does not sign was asked to sign"));
        }
        let claims = input.split_once('.').and_then(|(_, c)| edge_auth::core::encoding::base64url_decode(c)).and_then(|c| serde_json::from_slice::<serde_json::Value>(&c).ok());
        let Some(claims) = claims else { return self.violate(format!("{op:?}: the signing input is not base64url JSON")) };
        let (iat, exp) = (claims["iat"].as_u64().unwrap_or(0), claims["exp"].as_u64().unwrap_or(0));
        let max = if self.sc.signing == Signing::Google { 3_600 } else { 300 };
        if iat != self.wall() / 1000 || exp <= iat || exp - iat > max {
            self.violate(format!("{op:?}: iat {iat} / exp {exp} (now {}): not a fresh assertion of at most {max} s", self.wall() / 1000));
        }
        if claims["aud"] != "https://vendor.example/token" && claims["aud"] != "https://vendor.example/api/v2/oauth2/token" {
            self.violate(format!("{op:?}: aud {} is not the token endpoint", claims["aud"]));
        }
        if self.sc.signing != Signing::Google {
            let jti = claims["jti"].as_str().unwrap_or("").to_owned();
            if jti.len() != 32 || !self.jtis.insert(jti.clone()) {
                self.violate(format!("{op:?}: jti {jti:?} missing or used before"));
            }
        }
        self.signing_inputs.insert(input.clone());
        self.sign_asked = Some(self.t);
        let r = &mut self.rng;
        let roll = r.below(100);
        let delay = r.below(5);
        let at = self.t + delay;
        match roll {
            0 => {} // never answers
            1 => self.schedule(at, Delivery::Signed(op, Err("DataError: the key could not be imported".into()))),
            _ => self.schedule(at, Delivery::Signed(op, Ok(format!("sig-{}", op.0).into_bytes()))),
        }
    }

    fn send(&mut self, request: RequestId, flight: FlightId, http: edge_auth::core::dialect::HttpRequest, timeout_ms: u32) {
        if self.sc.signing != Signing::None {
            // Each request carries an assertion signed for it, never one sent before.
            let body = http.body.expose();
            let name = if self.sc.signing == Signing::Google { "assertion=" } else { "client_assertion=" };
            let assertion = body.split('&').find_map(|p| p.strip_prefix(name)).unwrap_or("").to_owned();
            let input = assertion.rsplit_once('.').map(|(i, _)| i.to_owned()).unwrap_or_default();
            if !self.signing_inputs.remove(&input) {
                self.violate(format!("{request:?} sent without a fresh assertion signed for it"));
            }
        }
        let t = self.t;
        let bound = self.m.flight_bound_ms();
        // At most one token request out (one older than the flight bound is dead).
        // (Nor one aborted a moment ago whose fetch ignores its signal: the
        // manager has given up on it, as the shell aborted it.)
        let grace = edge_auth::core::manager::ABORT_GRACE_MS;
        let out: Vec<RequestId> = self
            .requests
            .iter()
            .filter(|(_, r)| r.answered.is_none() && self.elapsed < r.flight_started_elapsed + bound && self.elapsed < r.sent_elapsed + u64::from(r.timeout_ms) + grace)
            .map(|(id, _)| *id)
            .collect();
        if !out.is_empty() {
            self.violate(format!("{request:?} sent while {out:?} still out: two token requests in flight"));
        }
        let refresh = http.url.contains("refresh-token");
        let waiting = self.callers.values().any(|c| c.settled.is_none() && !c.gone);
        let e = self.elapsed;
        let created = !self.flights.contains_key(&flight);
        let fr = self.flights.entry(flight).or_insert_with(|| FlightRecord { started: t, started_elapsed: e, requests: Vec::new(), background: !waiting, ended: false, held_at: None });
        let new_flight = fr.requests.is_empty();
        let flight_started_elapsed = fr.started_elapsed;
        // Told that another client holds the lease, a flight waits for its
        // token for the whole bound before it asks the vendor itself.
        let held_at = fr.held_at.take();
        fr.requests.push(request);
        let (background, started) = (fr.background, fr.started);
        let wait = u64::from(self.sc.timeout_ms + edge_auth::core::manager::STORE_BOUND_MS);
        if let Some(h) = held_at {
            if e < h + wait {
                self.violate(format!("{request:?} sent {} ms after the lease was found held, before the wait's bound of {wait} ms", e - h));
            }
        }
        if created && background {
            self.idle_renewals = self.idle_renewals.saturating_add(1);
        }
        if new_flight && background && started + 1_000 >= t {
            self.background_starts.push(t);
            let recent = self.background_starts.iter().filter(|s| t - **s < 1_000).count();
            if recent > 3 {
                self.violate(format!("{recent} token requests started by timers within one second"));
            }
        }
        // Retries: at most MAX_TOKEN_RETRIES per grant, waits within timeoutMs.
        let same_grant: Vec<RequestId> = self.flights[&flight].requests.iter().copied().filter(|id| self.requests.get(id).is_none_or(|r| r.refresh == refresh)).collect();
        if same_grant.len() as u32 > 1 + MAX_TOKEN_RETRIES {
            self.violate(format!("flight {flight:?} made {} requests with one grant (at most {})", same_grant.len(), 1 + MAX_TOKEN_RETRIES));
        }
        if self.flights[&flight].requests.len() > 2 * (1 + MAX_TOKEN_RETRIES as usize) {
            self.violate(format!("flight {flight:?} made {} token requests", self.flights[&flight].requests.len()));
        }
        // The waits between one grant's attempts add up to at most timeoutMs.
        let began = if self.sc.signing == Signing::None { t } else { self.sign_asked.take().unwrap_or(t) };
        let mut sends: Vec<(u64, Option<u64>)> = same_grant.iter().filter_map(|id| self.requests.get(id)).map(|r| (r.began, r.answered)).collect();
        sends.push((began, None));
        let waited: u64 = sends.windows(2).map(|w| w[1].0.saturating_sub(w[0].1.unwrap_or(w[1].0))).sum();
        if waited > u64::from(self.sc.timeout_ms) {
            self.violate(format!("flight {flight:?} waited {waited} ms between retries, over timeoutMs"));
        }
        let same_flight: Vec<bool> = self.flights[&flight].requests.iter().filter_map(|id| self.requests.get(id)).map(|r| r.refresh).collect();
        if same_flight.contains(&refresh) {
            self.stats.retries += 1;
        } else if same_flight.contains(&true) && !refresh {
            self.stats.fallbacks += 1;
            // union's password grant follows its refresh grant only after a 400 or 401.
            let last = self.flights[&flight].requests.iter().rev().filter_map(|id| self.requests.get(id)).next();
            if let Some(last) = last.filter(|l| !matches!(l.status, Some(400 | 401))) {
                let status = last.status;
                self.violate(format!("flight {flight:?} fell back to the password grant after {status:?}, not a 400/401"));
            }
        }
        // deadlineMs: a flight's requests go out, and end, by its deadline.
        let deadline = u64::from(self.m.config().deadline_ms);
        if self.elapsed + u64::from(timeout_ms) > flight_started_elapsed + deadline {
            self.violate(format!("{request:?} (timeout {timeout_ms} ms) sent {} ms into its flight: past deadlineMs ({deadline} ms)", self.elapsed - flight_started_elapsed));
        }
        // oauth2 detection: a client's format only ever moves on (JSON to a
        // form, the body to Basic), never back; a pinned one never moves; a
        // request in a new format goes out at once after the refusal.
        let format = format_of(&http);
        if self.sc.dialect == "oauth2" {
            if let Some(&(form_before, basic_before)) = self.sent_formats.last() {
                if (form_before && !format.0) || (basic_before && !format.1) {
                    self.violate(format!("{request:?} sent as {format:?} after a request sent as {:?}: the detection went back", (form_before, basic_before)));
                }
                if (form_before, basic_before) != format {
                    self.stats.resends += 1;
                    let previous = self.flights[&flight].requests.iter().rev().nth(1).and_then(|id| self.requests.get(id)).filter(|r| r.refresh == refresh);
                    if let Some(answered) = previous.and_then(|p| p.answered) {
                        if answered != t {
                            self.violate(format!("{request:?} in a new format waited {} ms after the refusal", t.saturating_sub(answered)));
                        }
                    }
                }
            }
            self.sent_formats.push(format);
        } else {
            self.sent_formats.push(format);
        }
        self.requests.insert(request, RequestRecord { flight, refresh, sent: t, sent_elapsed: self.elapsed, flight_started_elapsed, answered: None, status: None, lost: false, ignores_abort: false, aborted: false, aborted_elapsed: 0, timeout_ms, format, began });

        // The vendor.
        let (outcome, delay) = match self.sc.script.get(self.scripted).cloned() {
            Some((o, d)) => {
                self.scripted += 1;
                (o, Some(d))
            }
            None => match self.refusal(format) {
                Some(refusal) => (refusal, None),
                None => (self.outcome(refresh), None),
            },
        };
        self.note(|| format!("  vendor will answer {request:?} ({}) with {outcome:?}", if refresh { "refresh grant" } else { "credentials" }));
        if matches!(outcome, Outcome::Lost | Outcome::Late(_)) {
            if let Some(r) = self.requests.get_mut(&request) {
                r.ignores_abort = true;
            }
        }
        self.answer(request, &http, outcome, timeout_ms, delay);
    }

    /// An oauth2 server's answer to a format it refuses.
    fn refusal(&mut self, (form, basic): Format) -> Option<Outcome> {
        let server = self.sc.server;
        if server.refuses_json && !form {
            let status = if server.json_415 { 415 } else { 400 };
            return Some(Outcome::Status { status, retry_after: None, body: if server.json_415 { ErrorBody::Empty } else { ErrorBody::InvalidRequest } });
        }
        if server.refuses_body_auth && !basic {
            return Some(Outcome::Status { status: 401, retry_after: None, body: ErrorBody::OAuth2 });
        }
        None
    }

    fn outcome(&mut self, refresh: bool) -> Outcome {
        let r = &mut self.rng;
        let life = self.sc.lifetimes[r.below(self.sc.lifetimes.len() as u64) as usize];
        let success = Outcome::Success { lifetime_s: life, refresh_s: (self.sc.dialect == "union").then(|| [0, 1, 30, 600, 7_200][r.below(5) as usize]) };
        if r.unit() >= self.sc.fault_rate {
            return success;
        }
        if r.unit() < self.sc.lost_rate {
            return if r.below(4) == 0 { Outcome::Late(Box::new(success)) } else { Outcome::Lost };
        }
        let body = [ErrorBody::Vendor, ErrorBody::OAuth2, ErrorBody::Html, ErrorBody::Empty, ErrorBody::Echo(r.below(8) as u8)][r.below(5) as usize];
        let ra = |r: &mut Rng| match r.below(4) {
            0 => None,
            1 => Some(format!("{}", r.below(3))),
            2 => Some(format!("{}", 1 + r.below(120))),
            _ => Some("Tue, 14 Nov 2023 22:13:25 GMT".to_string()),
        };
        match r.below(16) {
            0 | 1 => Outcome::Status { status: 400, retry_after: None, body },
            2 | 3 => Outcome::Status { status: 401, retry_after: None, body },
            4 => Outcome::Status { status: 403, retry_after: None, body },
            5 => Outcome::Status { status: 429, retry_after: ra(r), body },
            6 => Outcome::Status { status: 503, retry_after: ra(r), body },
            7 => Outcome::Status { status: [500, 502, 504][r.below(3) as usize], retry_after: None, body },
            8 => Outcome::Html200,
            9 => Outcome::BadJson200,
            10 => Outcome::NoToken200,
            11 => Outcome::Network,
            12 => Outcome::Timeout,
            13 => Outcome::Redirect,
            14 => Outcome::TooLarge,
            _ if refresh => Outcome::Status { status: [400, 401][r.below(2) as usize], retry_after: None, body },
            _ => Outcome::Status { status: 404, retry_after: None, body },
        }
    }

    fn answer(&mut self, request: RequestId, http: &edge_auth::core::dialect::HttpRequest, outcome: Outcome, timeout_ms: u32, delay: Option<u64>) {
        let t = self.t;
        // A steady vendor answers within half the leeway: slower, a refresh
        // started an eighth of the leeway early would let the token expire.
        let most = if self.sc.steady { u64::from(timeout_ms).min(u64::from(self.sc.leeway_s) * 500).max(1) } else { u64::from(timeout_ms) };
        let delay = delay.unwrap_or_else(|| self.rng.below(most));
        let at = t + delay;
        let response = |status: u16, body: Vec<u8>| TokenResponse { status, date: None, retry_after: None, www_authenticate: None, body: ResponseBody::Bytes(body) };
        match outcome {
            Outcome::Success { lifetime_s, refresh_s } => {
                self.issued += 1;
                let access = format!("at-{}-{}", self.sc.seed, self.issued);
                let rt = format!("rt-{}-{}", self.sc.seed, self.issued);
                self.tokens.push(access.clone());
                let body = match self.sc.dialect {
                    "younium" => serde_json::json!({"access_token": access, "refresh_token": "unused", "expires_in": lifetime_s}),
                    "younium-v1" => serde_json::json!({"accessToken": access, "expiresIn": lifetime_s}),
                    "union" => {
                        self.tokens.push(rt.clone());
                        serde_json::json!({"access_token": access, "expires_in": lifetime_s, "refresh_expires_in": refresh_s.unwrap_or(0), "refresh_token": rt, "token_type": "Bearer"})
                    }
                    "papaya" => serde_json::json!({"token": access, "expires_in": lifetime_s}),
                    _ => serde_json::json!({"token_type": "Bearer", "access_token": access, "expires_in": lifetime_s.to_string()}),
                };
                let status = if self.sc.dialect == "papaya" { 201 } else { 200 };
                self.schedule(at, Delivery::Response(request, response(status, body.to_string().into_bytes())));
            }
            Outcome::Status { status, retry_after, body } => {
                let text = self.error_body(&body, http);
                let mut resp = response(status, text.into_bytes());
                resp.retry_after = retry_after;
                self.schedule(at, Delivery::Response(request, resp));
            }
            Outcome::Html200 => self.schedule(at, Delivery::Response(request, response(200, b"<html><title>Login</title></html>".to_vec()))),
            Outcome::BadJson200 => self.schedule(at, Delivery::Response(request, response(200, b"{\"access_token\":".to_vec()))),
            Outcome::NoToken200 => self.schedule(at, Delivery::Response(request, response(200, b"{\"expires_in\":3600}".to_vec()))),
            Outcome::Network => self.schedule(at, Delivery::Failure(request, SendFailure::Network("token request failed before a response arrived: fetch failed".into()))),
            Outcome::Timeout => {
                let at = t + u64::from(timeout_ms);
                self.schedule(at, Delivery::Failure(request, SendFailure::Timeout("token request timed out".into())));
            }
            Outcome::Redirect => {
                let status = [301, 302, 307, 0][self.rng.below(4) as usize];
                self.schedule(at, Delivery::Response(request, response(status, Vec::new())));
            }
            Outcome::TooLarge => {
                let status = [200, 201, 500][self.rng.below(3) as usize];
                let resp = TokenResponse { status, date: None, retry_after: None, www_authenticate: None, body: ResponseBody::TooLarge };
                self.schedule(at, Delivery::Response(request, resp));
            }
            Outcome::Lost => {
                if let Some(r) = self.requests.get_mut(&request) {
                    r.lost = true;
                }
            }
            Outcome::Late(inner) => {
                let late = self.m.flight_bound_ms() + 1 + self.rng.below(5_000);
                self.answer(request, http, *inner, timeout_ms, Some(delay));
                // Move what was just scheduled past the flight bound.
                if let Some(p) = self.pending.last_mut() {
                    p.at = t + late;
                }
            }
        }
    }

    fn error_body(&mut self, body: &ErrorBody, http: &edge_auth::core::dialect::HttpRequest) -> String {
        match body {
            ErrorBody::Vendor => serde_json::json!({"errors": ["Invalid client credentials"]}).to_string(),
            ErrorBody::OAuth2 => serde_json::json!({"error": "invalid_client", "error_description": "Client authentication failed"}).to_string(),
            ErrorBody::InvalidRequest => serde_json::json!({"error": "invalid_request", "error_description": "unsupported content type"}).to_string(),
            ErrorBody::Html => "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>".into(),
            ErrorBody::Empty => String::new(),
            ErrorBody::Echo(k) => {
                // What the request carried: a credential or the refresh token, in some spelling.
                let sent: serde_json::Value = serde_json::from_str(http.body.expose()).unwrap_or(serde_json::Value::Null);
                let mut values: Vec<String> = Vec::new();
                if let serde_json::Value::Object(map) = &sent {
                    for (_, v) in map {
                        if let Some(s) = v.as_str() {
                            values.push(s.to_owned());
                        }
                    }
                }
                values.extend(self.creds.secrets.iter().cloned());
                let v = values[(*k as usize) % values.len()].clone();
                let spelled = match k % 3 {
                    0 => v,
                    1 => form_urlencode(&v),
                    _ => {
                        let j = json_string(&v);
                        j[1..j.len() - 1].to_owned()
                    }
                };
                match k % 2 {
                    0 => serde_json::json!({"errors": [format!("bad value {spelled} given")], "message": spelled}).to_string(),
                    _ => serde_json::json!({"error": "invalid_grant", "error_description": format!("{spelled} is wrong")}).to_string(),
                }
            }
        }
    }

    // ----- invariants -----

    /// `strict`: tokens must not appear either (failures, store errors).
    fn check_leak(&mut self, text: &str, what: &str, strict: bool) {
        let mut needles: Vec<(String, &str)> = Vec::new();
        for s in &self.creds.secrets {
            needles.push((s.clone(), "a credential"));
            needles.push((form_urlencode(s), "a form-encoded credential"));
            let j = json_string(s);
            needles.push((j[1..j.len() - 1].to_owned(), "a JSON-escaped credential"));
            needles.push((base64_encode(s.as_bytes()), "a base64 credential"));
            needles.push((s.replace('&', "&amp;").replace('"', "&quot;"), "an HTML-escaped credential"));
        }
        if strict {
            for t in &self.tokens {
                needles.push((t.clone(), "a token"));
            }
        }
        for (n, kind) in needles {
            if text.contains(&n) {
                let shown: String = text.chars().take(200).collect();
                let shown = shown.replace(&n, "<<HERE>>");
                self.violate(format!("{kind} appears in {what}: {shown}"));
                return;
            }
        }
    }

    fn check_state(&mut self, step: &Step, before: Option<(String, u64)>, wall_before: u64) {
        let wall = self.wall();
        let freed = self.m.is_freed();
        // The published token is the cached one, until its renewal point.
        let expected = match (self.m.token(), self.m.fresh_until()) {
            (Some(t), Some(until)) if !freed => Some((t.access_token.expose().to_owned(), until)),
            _ => None,
        };
        if expected != self.published {
            self.violate(format!("published {:?} but the cache holds {:?}", self.published.as_ref().map(|p| p.1), expected.as_ref().map(|p| p.1)));
        }
        // No caller waits while a fresh token is cached.
        if let Some((_, until)) = &expected {
            if wall < *until {
                let waiting: Vec<CallerId> = self.callers.iter().filter(|(_, c)| c.settled.is_none() && !c.gone).map(|(id, _)| *id).collect();
                if !waiting.is_empty() {
                    self.violate(format!("{waiting:?} wait while a fresh token is cached"));
                }
            }
        }
        // A failed refresh never drops a still-valid token.
        let dropping_step = matches!(step, Step::Invalidate | Step::Refuse(_) | Step::Free);
        if let Some((access, expires_at)) = before {
            if !dropping_step && wall_before < expires_at && self.m.token().is_none() {
                self.violate(format!("the valid token {access} (expires at +{} ms) was dropped", expires_at.saturating_sub(T0)));
            }
        }
        // Every token request is answered or aborted by its deadline.
        if !freed {
            let (elapsed, timeout) = (self.elapsed, u64::from(self.sc.timeout_ms));
            let overdue: Vec<RequestId> = self.requests.iter().filter(|(_, r)| r.answered.is_none() && !r.aborted && elapsed > r.sent_elapsed + u64::from(r.timeout_ms).min(timeout)).map(|(id, _)| *id).collect();
            for id in overdue {
                self.violate(format!("{id:?} still out {} ms after it was sent, past timeoutMs, and not aborted", elapsed - self.requests[&id].sent_elapsed));
                self.requests.get_mut(&id).unwrap().aborted = true;
            }
        }
        // No caller waits beyond the bound.
        let bound = self.m.caller_bound_ms();
        let t = self.t;
        let overdue: Vec<CallerId> = self.callers.iter().filter(|(_, c)| c.settled.is_none() && !c.gone && !c.overdue && t - c.asked > bound).map(|(id, _)| *id).collect();
        for id in overdue {
            self.violate(format!("{id:?} still waits {} ms after asking, over the caller bound of {bound} ms", t - self.callers[&id].asked));
            self.callers.get_mut(&id).unwrap().overdue = true;
        }
        // Every flight ends within its bound (plus a trailing store write's),
        // so that a lost answer never blocks the client for longer.
        let limit = self.m.flight_bound_ms() + 1_000;
        let elapsed = self.elapsed;
        let stuck: Vec<FlightId> = self.flights.iter().filter(|(_, f)| !f.ended && elapsed > f.started_elapsed + limit).map(|(id, _)| *id).collect();
        for id in stuck {
            self.violate(format!("{id:?} has not ended {} ms after it started, over its bound", elapsed - self.flights[&id].started_elapsed));
            self.flights.get_mut(&id).unwrap().ended = true;
        }
        // The refresh timer stays within its bounds, and only in timer mode.
        if let Some(at) = self.m.refresh_timer() {
            if self.sc.mode != Mode::Timers {
                self.violate("a refresh timer is armed without timers".into());
            }
            let delay = at.saturating_sub(wall);
            if delay > MAX_TIMER_STEP_MS.max(MAX_RETRY_AFTER_MS) {
                self.violate(format!("refresh timer armed {delay} ms ahead"));
            }
        }
        if freed && self.m.poll_timeout().is_some() {
            self.violate("after free(): poll_timeout is still armed".into());
        }
    }

    /// Lets the schedule run out: real time passes until every caller is settled.
    pub fn finish(&mut self) {
        let bound = self.m.caller_bound_ms();
        let mut left = bound + 1;
        while left > 0 && self.violations.len() < 10 {
            let chunk = left.min(5_000);
            self.step_no += 1;
            self.note(|| format!("(end) Advance({chunk})"));
            let before = self.m.token().map(|t| (t.access_token.expose().to_owned(), t.expires_at));
            let wall_before = self.wall();
            self.advance(chunk);
            self.check_state(&Step::Advance(chunk), before, wall_before);
            left -= chunk;
            if self.callers.values().all(|c| c.settled.is_some() || c.gone) && self.sc.mode != Mode::Timers {
                break;
            }
        }
        let waiting: Vec<CallerId> = self.callers.iter().filter(|(_, c)| c.settled.is_none() && !c.gone).map(|(id, _)| *id).collect();
        if !waiting.is_empty() {
            self.violate(format!("{waiting:?} never settled"));
        }
        let shown = format!("{:?}", self.m);
        self.check_leak(&shown, "the manager's Debug", false);
    }
}

/// Runs the schedule of `seed`. With `logging`, every step and action is kept.
pub fn run(seed: u64, logging: bool) -> Run {
    let sc = Scenario::generate(seed);
    let steps = sc.steps;
    let mut w = World::new(sc, logging);
    for _ in 0..steps {
        let step = w.next_step();
        w.run_step(&step);
        if w.violations.len() > 10 {
            break;
        }
    }
    w.finish();
    w.stats.steady += u64::from(w.sc.steady);
    w.stats.freed += u64::from(w.freed_at.is_some());
    let formats = w.sent_formats.clone();
    Run { violations: w.violations, log: w.log, token_requests: w.requests.len(), formats, stats: w.stats }
}

/// Runs a schedule given as steps (a regression), on a scenario.
pub fn replay(sc: Scenario, steps: &[Step], logging: bool) -> Run {
    let mut w = World::new(sc, logging);
    for step in steps {
        w.run_step(step);
    }
    w.finish();
    let formats = w.sent_formats.clone();
    Run { violations: w.violations, log: w.log, token_requests: w.requests.len(), formats, stats: w.stats }
}

/// Runs `count` schedules from `first`; returns the failing seeds with
/// their reproductions.
pub fn run_many(first: u64, count: u64) -> (u64, Vec<(u64, Run)>) {
    let mut failing = Vec::new();
    let mut violations = 0;
    let mut kinds: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let (mut stats, mut requests) = (Stats::default(), 0);
    for seed in first..first + count {
        let r = run(seed, false);
        stats.add(&r.stats);
        requests += r.token_requests;
        if !r.violations.is_empty() {
            violations += r.violations.len() as u64;
            let mut seen = Vec::new();
            for v in &r.violations {
                let k = kind(v);
                if !seen.contains(&k) {
                    let e = kinds.entry(k.clone()).or_insert((0, seed));
                    e.0 += 1;
                    seen.push(k);
                }
            }
            if failing.len() < 3 {
                failing.push((seed, run(seed, true)));
            }
        }
    }
    println!(
        "sim: exercised {requests} token requests ({} retries, {} oauth2 resends in another format, {} union fallbacks, {} answers after the flight bound), {} callers resolved, {} rejected ({} at the caller bound), {} tokens from the store, leases {} granted and {} held by another ({} waits served by the holder's token), {} steady schedules, {} freed",
        stats.retries, stats.resends, stats.fallbacks, stats.late_answers, stats.resolved, stats.rejected, stats.rejected_timeout_bound, stats.store_tokens, stats.leases_granted, stats.leases_held, stats.lease_waits_served, stats.steady, stats.freed
    );
    for (k, (n, seed)) in &kinds {
        println!("sim: {n} schedules (first: seed {seed}) with: {k}");
    }
    (violations, failing)
}

/// A violation's kind: its text without the step, times and numbers.
pub fn kind(v: &str) -> String {
    let text = v.splitn(2, "ms: ").nth(1).unwrap_or(v);
    let mut out = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '[' | '(' | '{' => {
                if depth == 0 {
                    out.push_str("…");
                }
                depth += 1;
            }
            ']' | ')' | '}' => depth -= 1,
            _ if depth > 0 || c.is_ascii_digit() => {}
            _ => out.push(c),
        }
        if out.len() > 100 {
            break;
        }
    }
    out
}

/// A reproduction for people: the violations, then the schedule as steps.
pub fn reproduction(seed: u64, run: &Run) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "seed {seed}: {} violation(s)", run.violations.len());
    for v in &run.violations {
        let _ = writeln!(out, "  {v}");
    }
    let _ = writeln!(out, "  schedule:");
    let tail = run.log.len().saturating_sub(400);
    if tail > 0 {
        let _ = writeln!(out, "    {}", run.log[0]);
        let _ = writeln!(out, "    … {tail} lines …");
    }
    for line in run.log.iter().skip(tail) {
        let _ = writeln!(out, "    {line}");
    }
    out
}
