#!/usr/bin/env python3
"""Breaks core::manager on purpose, one way at a time, and runs the
simulation on each broken copy: every mutant must be caught (exit 1).
Usage: python3 tests/sim/mutants.py [SEEDS] (a copy is built in a
temporary directory; the working tree is left as it is)."""
import subprocess, sys, shutil, os, tempfile
src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
tmp = tempfile.mkdtemp(prefix="edge-auth-mutants-")
work = os.path.join(tmp, "repo")
shutil.copytree(src, work, ignore=shutil.ignore_patterns("target", "node_modules", ".git", "pkg"))
p = work + "/src/core/manager.rs"
orig = open(p).read()
# (The caller deadline and the flight bound are backstops: with every
# flight's work cut to deadlineMs and a request given up a moment after its
# abort, removing either changes nothing the invariants can see.)
M = [
 ("second flight while one is live", "        if self.flight.is_none() {\n            self.start_flight(Some(id));\n        }", "        self.start_flight(Some(id));"),
 ("free() leaves the flight going", "for f in [self.flight.take(), self.writing.take()].into_iter().flatten() {", "for f in [None::<Flight>, self.writing.take()].into_iter().flatten() {"),
 ("credentials not redacted from vendor messages", "let mut out = self.config.credentials.secrets();", "let mut out: Vec<&str> = Vec::new();"),
 ("union falls back to the password grant after a 429 or 5xx", "                    attempts::Next::GiveUp if f.refreshing && matches!(failure.status, Some(400 | 401)) => {", "                    attempts::Next::GiveUp if f.refreshing && matches!(failure.status, Some(400 | 401 | 429 | 500..=599)) => {"),
 ("a failed flight drops the cached token", "            Err(failure) => {\n                self.cache.finish(id.0, None);", "            Err(failure) => {\n                self.cache.invalidate();\n                self.cache.finish(id.0, None);"),
 ("no deadlineMs on a flight's work", "        let work_deadline = self.clock.mono + u64::from(self.config.deadline_ms);", "        let work_deadline = self.clock.mono + u64::from(self.config.deadline_ms) * 10;"),
 ("no publish after refuse", "        if refusal == super::cache::Refusal::Dropped {\n            self.publish();\n        }", ""),
 ("retry budget ignored", "let budget = retry_budget(self.config.timeout_ms, f.waited, f.work_deadline, self.clock.mono);", "let budget = u64::MAX;"),
 ("no refresh timer after a flight", "        self.refresh_timer = delay.map(|ms| self.clock.mono + ms);", "        let _ = delay;"),
 ("the oauth2 detection starts afresh for every grant", "        let http = self.config.token_request(grant, &self.detection);\n        let sent_refresh", "        let http = self.config.token_request(grant, &self.config.detection());\n        let sent_refresh"),
 ("a resend in another format waits", "                        let http = self.config.token_request(grant, &self.detection);\n                        self.send(http);", "                        let http = self.config.token_request(grant, &self.detection);\n                        f.step = Step::RetryWait { until: self.clock.mono + 10, http };"),
 ("no deadline for a token request", "                Step::Sending { until, aborted: false, .. } => Some(*until),", "                Step::Sending { aborted: false, .. } => None,"),
 ("waiters not served from a fresh cache", "        if self.callers.is_empty() {\n            return;\n        }\n        let wall", "        if true {\n            return;\n        }\n        let wall"),
]
uncaught = []
for name, a, b in M:
    assert orig.count(a) == 1, name
    open(p, "w").write(orig.replace(a, b))
    out = subprocess.run(["cargo", "run", "-q", "--example", "sim", "--", sys.argv[1] if len(sys.argv) > 1 else "3000"], cwd=work, capture_output=True, text=True, env=dict(os.environ, CARGO_TARGET_DIR=os.path.join(tmp, "target")))
    lines = [l for l in out.stdout.splitlines() if l.startswith("sim:") and "exercised" not in l]
    print("== mutation:", name, "→ exit", out.returncode)
    for l in lines: print("  ", l[:160])
    if out.returncode == 0:
        print("   NOT CAUGHT")
        uncaught.append(name)
    sys.stdout.flush()
open(p, "w").write(orig)
shutil.rmtree(tmp)
sys.exit(1 if uncaught else 0)
