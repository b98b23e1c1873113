// Renders the raw results of bench/run.mjs as bench/RESULTS.md.
import { fmt, kb, summary } from "./common.mjs";

const KB32 = 32 * 1024;
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : "n/a");
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(2)} MB`;
const signedKb = (bytes) => `${bytes >= 0 ? "+" : "−"}${(Math.abs(bytes) / 1024).toFixed(1)} KB`;
const pick = (xs, f) => summary(xs.map(f));
const table = (head, rows) => [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
const errorNote = (s) => (s?.error ? `\n**This section failed:**\n\n\`\`\`\n${s.error.split("\n").slice(0, 12).join("\n")}\n\`\`\`\n` : null);

/** Per-round ratios a[i] / b[i]. */
const ratios = (a, b) => summary(a.map((x, i) => x / b[i]));

export function render(raw, rawPath) {
  const S = raw.sections;
  const P = raw.params;
  const goals = [];
  const out = [];
  const push = (...lines) => out.push(...lines);

  // ---------------------------------------------------------------- size
  const sizeLines = [];
  if (S.size && !S.size.error) {
    const { pkg, anchor, oursMinGlue } = S.size;
    const glueNames = pkg.glueFiles.map((f) => f.name).join(" + ");
    const rows = [
      ["ours: `edge_auth_bg.wasm`", kb(pkg.wasm.raw), kb(pkg.wasm.gzip)],
      [`ours: JS glue as shipped (${glueNames})`, kb(pkg.glue.raw), kb(pkg.glue.gzip)],
      ["**ours: package, wasm + glue**", `**${kb(pkg.total.raw)}**`, `**${kb(pkg.total.gzip)}**`],
      ["ours: JS glue minified by esbuild (streaming entry, .wasm left as a file)", kb(oursMinGlue.raw), kb(oursMinGlue.gzip)],
      ["ours: wasm + minified glue", kb(pkg.wasm.raw + oursMinGlue.raw), kb(pkg.wasm.gzip + oursMinGlue.gzip)],
      [`**anchor: \`{ OAuth2Client, OAuth2Fetch }\`, esbuild minified (browser, ESM)**`, `**${kb(anchor.raw)}**`, `**${kb(anchor.gzip)}**`],
    ];
    const wb = S.workerd?.bundleSizes;
    if (wb) {
      for (const [who, files] of Object.entries(wb)) {
        const t = Object.values(files).reduce((a, f) => ({ raw: a.raw + f.raw, gzip: a.gzip + f.gzip }), { raw: 0, gzip: 0 });
        rows.push([`${who === "ours" ? "ours" : "anchor"}: worker bundled by wrangler (${Object.keys(files).map((f) => f.replace(/^[0-9a-f]{40}-/, "")).join(" + ")})`, kb(t.raw), kb(t.gzip)]);
      }
    }
    sizeLines.push(table(["artefact", "raw", "gzip -9"], rows));
    sizeLines.push(
      "",
      `Bytes are KiB (1 KB = 1024 bytes). Each file is gzipped on its own (node:zlib level 9), as a server sends it; the glue is the JS of the largest entry that loads the .wasm file (\`${pkg.largestEntry ?? "?"}\`; a runtime loads one entry). wasm sha256 \`${pkg.wasmHash}…\`.`,
    );
    if (pkg.entries) {
      sizeLines.push(
        "",
        "What a consumer of each entry loads (its JS module graph, and the `.wasm` file if it loads it), as `bench/size-budget.test.mjs` checks it:",
        "",
        table(
          ["entry", "chosen by (exports)", "wasm", "files", "raw", "gzip -9"],
          pkg.entries.map((e) => [
            `\`${e.entry}\``,
            e.conditions.map((c) => `\`${c}\``).join(", "),
            e.wasmFile ? "`.wasm` file" : "inline text",
            String(e.files.length),
            kb(e.total.raw),
            `**${kb(e.total.gzip)}**`,
          ]),
        ),
      );
      const inline = pkg.entries.find((e) => e.entry === "browser.js");
      const file = pkg.entries.find((e) => e.entry === "streaming.js");
      if (inline && file) sizeLines.push("", `The inline entry costs ${signedKb(inline.total.gzip - file.total.gzip)} gzipped over the browser entry that fetches the \`.wasm\` file (\`browser.js\` ${kb(inline.total.gzip)}, \`streaming.js\` ${kb(file.total.gzip)}).`);
    }
    goals.push(["gzipped package (wasm + glue) ≤ 32 KB", `${kb(pkg.total.gzip)} (wasm ${kb(pkg.wasm.gzip)} + glue ${kb(pkg.glue.gzip)}); anchor ${kb(anchor.gzip)}`, pkg.total.gzip <= KB32]);
  }

  // ---------------------------------------------------------------- cold start
  const coldLines = [];
  let nodeRatio, workerdRatio;
  if (S.cold && !S.cold.error) {
    const s = S.cold.samples;
    const rows = Object.entries(s).map(([name, xs]) => [
      name,
      fmt(pick(xs, (x) => x.importMs), 1),
      `**${fmt(pick(xs, (x) => x.importToTokenMs), 1)}**`,
      fmt(pick(xs, (x) => x.firstLineMs), 1),
      fmt(pick(xs, (x) => x.processToTokenMs), 1),
      fmt(pick(xs, (x) => x.wallMs), 1),
    ]);
    coldLines.push(
      table(["Node, fresh process per run (ms)", "import()", "import → token in hand", "process start → first line", "process start → token", "process wall time (spawn → exit)"], rows),
      "",
      `${s.anchor.length} runs per row, interleaved. Times inside the child are \`performance.now()\` (from the process's time origin); the library is loaded by a dynamic \`import()\` after the first line. \`ours-form\` and \`anchor\` make the same token request (form body).`,
    );
    const o = summary(s["ours-form"].map((x) => x.importToTokenMs)).median;
    const a = summary(s.anchor.map((x) => x.importToTokenMs)).median;
    nodeRatio = o / a;
  }
  if (S.workerd && !S.workerd.error) {
    const s = S.workerd.samples;
    const rows = Object.entries(s).map(([name, xs]) => [
      name,
      fmt(pick(xs, (x) => x.startMs), 1),
      `**${fmt(pick(xs, (x) => x.firstRequestMs), 1)}**`,
      fmt(pick(xs, (x) => x.startMs + x.firstRequestMs), 1),
      fmt(pick(xs, (x) => x.warmRequestMs), 1),
    ]);
    coldLines.push(
      "",
      table(["workerd, fresh Miniflare per run (ms)", "instance start (new Miniflare → ready)", "first request: dispatch → token in hand", "start + first request", "second request (token cached)"], rows),
      "",
      `${s.anchor.length} runs per row, interleaved, after one unmeasured instance. Timed from Node around the miniflare API (workerd's own clock does not advance during execution). The worker creates its client on the first request; the second request shows what dispatching alone costs.`,
    );
    const o = summary(s["ours-form"].map((x) => x.firstRequestMs)).median;
    const a = summary(s.anchor.map((x) => x.firstRequestMs)).median;
    workerdRatio = o / a;
    const ot = summary(s["ours-form"].map((x) => x.startMs + x.firstRequestMs)).median;
    const at = summary(s.anchor.map((x) => x.startMs + x.firstRequestMs)).median;
    coldLines.push("", `Ratios ours-form / anchor (medians): workerd first request ${workerdRatio.toFixed(2)}×, workerd start + first request ${(ot / at).toFixed(2)}×${nodeRatio ? `, Node import → token ${nodeRatio.toFixed(2)}×` : ""}.`);
    workerdRatio = Math.max(workerdRatio, ot / at);
  } else if (nodeRatio) {
    coldLines.push("", `Ratio ours-form / anchor (medians), Node import → token: ${nodeRatio.toFixed(2)}×.`);
  }
  if (nodeRatio !== undefined || workerdRatio !== undefined) {
    const worst = Math.max(nodeRatio ?? 0, workerdRatio ?? 0);
    goals.push([
      "cold start within 2× of the anchor's",
      `Node import → token ${nodeRatio?.toFixed(2) ?? "n/a"}×; workerd ${workerdRatio?.toFixed(2) ?? "n/a"}× (worst of first request and start + first request)`,
      worst <= 2,
    ]);
  }

  // ---------------------------------------------------------------- inline wasm vs the .wasm file
  const entryLines = [];
  if (S.entries && !S.entries.error) {
    const { node, chromium, entries } = S.entries;
    const rows = [];
    for (const [where, samples, names] of [["Node, fresh process", node, entries.node], ["Chromium, fresh context (no cache)", chromium, entries.chromium]]) {
      for (const which of ["inline", "file"]) {
        rows.push([
          `${where}: \`${names[which]}\` (${which === "inline" ? "wasm inline" : "`.wasm` file"})`,
          fmt(pick(samples[which], (x) => x.importMs), 1),
          `**${fmt(pick(samples[which], (x) => x.importToTokenMs), 1)}**`,
        ]);
      }
    }
    const ratio = (samples, key) => summary(samples.inline.map((x) => x[key])).median / summary(samples.file.map((x) => x[key])).median;
    entryLines.push(
      table(["cold start (ms)", "import", "import → token in hand"], rows),
      "",
      `${node.inline.length} runs per row, interleaved, after one unmeasured run of each. Node: \`bench/lib/cold-node.mjs\` (times from the process's time origin, the library loaded by a dynamic \`import()\`). Chromium: a page with an import map to the entry, served from loopback (no throttling), a new browser context per run so nothing is cached; times from navigation start.`,
      "",
      `Ratios inline / file (medians): Node import ${ratio(node, "importMs").toFixed(2)}×, import → token ${ratio(node, "importToTokenMs").toFixed(2)}×; Chromium import ${ratio(chromium, "importMs").toFixed(2)}×, import → token ${ratio(chromium, "importToTokenMs").toFixed(2)}×.`,
    );
  }

  // ---------------------------------------------------------------- per-call overhead
  const ohLines = [];
  if (S.overhead && !S.overhead.error) {
    const { net, stub } = S.overhead;
    const block = (r, label) => {
      const rows = [];
      for (const [kind, data, n, rounds] of [
        ["sequential", r.seq, r.seqCalls, r.seq.raw.length],
        ["concurrent (Promise.all)", r.conc, r.concCalls, r.conc.raw.length],
      ]) {
        const ours = ratios(data.ours, data.raw);
        const anchor = ratios(data.anchor, data.raw);
        const added = summary(data.ours.map((x, i) => x - data.raw[i]));
        const addedA = summary(data.anchor.map((x, i) => x - data.raw[i]));
        rows.push([
          `${label}: ${n.toLocaleString("en")} ${kind} × ${rounds} rounds`,
          fmt(summary(data.raw), 1),
          fmt(summary(data.ours), 1),
          fmt(summary(data.anchor), 1),
          `**${fmt(ours, 3)}**`,
          fmt(anchor, 3),
          `${fmt(added, 1)} / ${fmt(addedA, 1)}`,
        ]);
      }
      return rows;
    };
    const rows = [...block(net, "loopback"), ...block(stub, "stub fetch")];
    const cpuRows = [];
    for (const [r, label] of [[net, "loopback"], [stub, "stub fetch"]]) {
      for (const [kind, data] of [["sequential", r.seqCpu], ["concurrent", r.concCpu]]) {
        if (!data) continue;
        cpuRows.push([
          `${label}: ${kind}`,
          fmt(summary(data.raw), 1),
          fmt(summary(data.ours), 1),
          fmt(summary(data.anchor), 1),
          `**${fmt(ratios(data.ours, data.raw), 2)}**`,
          fmt(ratios(data.anchor, data.raw), 2),
          `**${fmt(summary(data.ours.map((x, i) => x - data.raw[i])), 1)}** / ${fmt(summary(data.anchor.map((x, i) => x - data.raw[i])), 1)}`,
        ]);
      }
    }
    ohLines.push(
      table(["µs per call (median, min–max)", "raw fetch + hand-set header", "ours `client.fetch`", "anchor `OAuth2Fetch.fetch`", "ours / raw", "anchor / raw", "added µs, ours / anchor"], rows),
      "",
      `*loopback*: an API endpoint of the emulator (its own process; every response \`Connection: close\`, so each call is a new TCP connection), body read; rounds of ${net.seqCalls.toLocaleString("en")} sequential calls per variant made in blocks of ${net.block} alternating between the variants, after ${net.warmCalls} warm-up calls each. Ratios and added µs are per round (same round, same load), then the median.`,
      "",
      table(["CPU µs per call of the calling process (median, min–max)", "raw fetch", "ours", "anchor", "ours / raw", "anchor / raw", "added CPU µs, ours / anchor"], cpuRows),
      "",
      "CPU time is `process.cpuUsage()` (user + system, all threads of the calling process, GC included; the emulator's process is not counted) around the same blocks of calls: less sensitive to other jobs on the machine than wall time.",
      "",
      `*stub fetch*: the same calls with \`globalThis.fetch\` (which all three call at call time) replaced by an in-process stub answering \`new Response('{"ok":true}')\` at once: the wrappers' own CPU cost, without the network.`,
    );
    const seqRatio = ratios(net.seq.ours, net.seq.raw).median;
    const seqAnchor = ratios(net.seq.anchor, net.seq.raw).median;
    const concRatio = ratios(net.conc.ours, net.conc.raw).median;
    const concAnchor = ratios(net.conc.anchor, net.conc.raw).median;
    goals.push([
      "per-call overhead ratio ≤ 1.05 over raw fetch",
      `loopback wall time: sequential ${seqRatio.toFixed(3)}, concurrent ${concRatio.toFixed(3)}` +
        (net.seqCpu ? `; loopback CPU: sequential ${ratios(net.seqCpu.ours, net.seqCpu.raw).median.toFixed(2)} (+${summary(net.seqCpu.ours.map((x, i) => x - net.seqCpu.raw[i])).median.toFixed(1)} µs/call)` : "") +
        `; stub fetch wall time ${ratios(stub.seq.ours, stub.seq.raw).median.toFixed(2)} (+${summary(stub.seq.ours.map((x, i) => x - stub.seq.raw[i])).median.toFixed(1)} µs/call)`,
      seqRatio <= 1.05 && concRatio <= 1.05,
    ]);
    goals.push([
      "per-call overhead below the anchor's",
      `loopback sequential ours ${seqRatio.toFixed(3)} vs anchor ${seqAnchor.toFixed(3)}; concurrent ${concRatio.toFixed(3)} vs ${concAnchor.toFixed(3)}; stub +${summary(stub.seq.ours.map((x, i) => x - stub.seq.raw[i])).median.toFixed(1)} vs +${summary(stub.seq.anchor.map((x, i) => x - stub.seq.raw[i])).median.toFixed(1)} µs/call`,
      seqRatio < seqAnchor && concRatio < concAnchor,
    ]);
  }

  // ---------------------------------------------------------------- token requests
  const tokLines = [];
  if (S.tokens && !S.tokens.error) {
    const { burst, steady } = S.tokens;
    const statuses = (xs) => {
      const all = {};
      for (const x of xs) for (const [k, v] of Object.entries(x.statuses)) all[k] = (all[k] ?? 0) + v;
      return Object.entries(all).map(([k, v]) => `${k}: ${v}`).join(", ");
    };
    tokLines.push(
      table(
        ["cold client, 1,000 concurrent `fetch` calls", "token requests per burst (median, min–max)", "each run", "API statuses (all runs)", "burst time, ms"],
        Object.entries(burst).map(([l, xs]) => [l, `**${fmt(pick(xs, (x) => x.tokenRequests), 0)}**`, xs.map((x) => x.tokenRequests).join(", "), statuses(xs), fmt(pick(xs, (x) => x.totalMs), 0)]),
      ),
      "",
    );
    const s0 = Object.values(steady)[0]?.[0];
    tokLines.push(
      table(
        [`steady stream, ${s0?.durationS ?? "?"} s`, "calls", "token requests", "calls that waited (≥ 400 ms)", "p50 / p99 / max latency, ms", "API 401s (emulator)", "statuses"],
        Object.entries(steady).map(([l, xs]) => [
          l,
          fmt(pick(xs, (x) => x.calls), 0),
          `**${fmt(pick(xs, (x) => x.tokenRequests), 0)}**`,
          `**${fmt(pick(xs, (x) => x.waited), 0)}**`,
          `${fmt(pick(xs, (x) => x.p50Ms), 1)} / ${fmt(pick(xs, (x) => x.p99Ms), 1)} / ${fmt(pick(xs, (x) => x.maxMs), 0)}`,
          fmt(pick(xs, (x) => x.api401), 0),
          statuses(xs),
        ]),
      ),
      "",
      `Steady stream: emulator \`ttlSeconds: 2\`, \`tokenDelayMs: 500\`; after a first token (not counted), one \`fetch\` call every ${s0?.intervalMs ?? 10} ms (open loop) for ${s0?.durationS ?? "?"} s, ${steady.ours.length} run(s) per library. A call *waited* if it took ≥ 400 ms (a loopback API call takes ~1 ms; a token request 500 ms). Ours: \`autoRefresh: true\`, default \`refreshLeewaySeconds\` (60, capped at half the 2 s lifetime). The anchor has no refresh token with client_credentials, so it schedules no refresh and renews on the first call after expiry; its 401s are calls sent with a token the emulator had already expired (the anchor counts a token's life from when the response arrived), answered by its retry.`,
      ...Object.entries(steady)
        .filter(([, xs]) => xs.some((x) => x.waitedAtMs?.length))
        .map(([l, xs]) => `${l}: the calls that waited started at ${xs.map((x) => `[${x.waitedAtMs.slice(0, 12).map((t) => (t / 1000).toFixed(2)).join(", ")}${x.waitedAtMs.length > 12 ? ", …" : ""}]`).join(", ")} s into each run's stream.`),
      `Both libraries send the form-encoded client_credentials body with the credentials in it (anchor \`authenticationMethod: "client_secret_post"\`, ours \`bodyEncoding: "form"\`), because the anchor speaks only form bodies; the emulator's oauth2 endpoint takes both shapes.`,
    );
    const allOne = burst.ours.every((x) => x.tokenRequests === 1);
    goals.push(["exactly one token request per cold burst", `ours ${burst.ours.map((x) => x.tokenRequests).join(", ")} (${burst.ours.length} bursts of ${burst.ours[0]?.calls}); anchor ${burst.anchor.map((x) => x.tokenRequests).join(", ")}`, allOne]);
  }

  // ---------------------------------------------------------------- memory
  const memLines = [];
  if (S.memory && !S.memory.error) {
    const m = S.memory;
    const rows = [];
    for (const [l, xs] of Object.entries(m)) {
      const f = (k, at) => fmt(pick(xs, (x) => x[at][k] / 2 ** 20), 2);
      rows.push([
        l,
        `${f("heapUsed", "atStart")} → ${f("heapUsed", "atHalf")} → ${f("heapUsed", "atEnd")}`,
        `**${signedKb(summary(xs.map((x) => x.atEnd.heapUsed - x.atHalf.heapUsed)).median)}**`,
        l === "ours" ? `${f("wasm", "atStart")} → ${f("wasm", "atHalf")} → ${f("wasm", "atEnd")}` : "—",
        l === "ours" ? `**${signedKb(summary(xs.map((x) => x.atEnd.wasm - x.atHalf.wasm)).median)}**` : "—",
        l === "ours" && xs[0].atEnd.externrefTable !== undefined
          ? `${xs[0].atStart.externrefTable} → ${xs[0].atHalf.externrefTable} → ${xs[0].atEnd.externrefTable} (in use: ${xs[0].atEnd.externrefLive})`
          : "—",
        `${f("rss", "atStart")} → ${f("rss", "atEnd")}`,
      ]);
    }
    const calls = m.ours?.[0]?.calls ?? P.memCalls;
    memLines.push(
      table([`after 1k warm-up → ${(calls / 2).toLocaleString("en")} → ${calls.toLocaleString("en")} calls (MB)`, "V8 heapUsed", `heap growth, ${(calls / 2 / 1000).toFixed(0)}k → ${(calls / 1000).toFixed(0)}k`, "wasm memory", "wasm growth", "externref table (slots)", "RSS"], rows),
      "",
    );
    const crow = [];
    // Older raw files have no half-way snapshot: their growth is over all clients.
    const half = (x) => x.clientsHalf ?? x.clientsBefore;
    for (const [l, xs] of Object.entries(m)) {
      crow.push([
        l,
        `${fmt(pick(xs, (x) => x.clientsBefore.heapUsed / 2 ** 20), 2)} → ${fmt(pick(xs, (x) => half(x).heapUsed / 2 ** 20), 2)} → ${fmt(pick(xs, (x) => x.clientsAfter.heapUsed / 2 ** 20), 2)}`,
        `${signedKb(summary(xs.map((x) => half(x).heapUsed - x.clientsBefore.heapUsed)).median)}`,
        `**${signedKb(summary(xs.map((x) => x.clientsAfter.heapUsed - half(x).heapUsed)).median)}**`,
        l === "ours" ? `${fmt(pick(xs, (x) => x.clientsBefore.wasm / 2 ** 20), 2)} → ${fmt(pick(xs, (x) => half(x).wasm / 2 ** 20), 2)} → ${fmt(pick(xs, (x) => x.clientsAfter.wasm / 2 ** 20), 2)}` : "—",
        l === "ours" ? `**${signedKb(summary(xs.map((x) => x.clientsAfter.wasm - half(x).wasm)).median)}**` : "—",
      ]);
    }
    const clients = m.ours?.[0]?.clients ?? P.memClients;
    const halfway = (clients / 2).toLocaleString("en");
    memLines.push(
      table([`clients created, one token each, freed: 0 → ${halfway} → ${clients.toLocaleString("en")} (MB)`, "V8 heapUsed", `heap, first ${halfway} (mostly a constant: code compiled for these paths)`, `heap growth, next ${halfway}`, "wasm memory", `wasm growth, next ${halfway}`], crow),
      "",
      `Node ${raw.versions.node}, \`--expose-gc\`, ${m.ours?.length ?? 0} fresh process(es) per library; each figure after \`global.gc()\` three times with event-loop turns between (so FinalizationRegistry callbacks run). \`globalThis.fetch\` is an in-process stub here (a token response for the token endpoint, 200 \`{"ok":true}\` otherwise), so the figures are the libraries' own memory, not undici's sockets. The wasm memory is the byte length of the instance's exported \`memory\` (reached through \`initSync()\` of \`pkg/edge_auth.js\`, which returns the exports of the instance the package's entry created); it only grows, so it is a high-water mark. The externref table is wasm-bindgen's table of JS values held by Rust (\`__wbindgen_externrefs\`): its length is the high-water mark of handles in use. The anchor is dropped rather than freed (it has no \`free\`). Growth is read over the second half of the calls and of the clients, as the first half also holds what a process compiles and caches once.`,
    );
    if (m.ours?.length) {
      const hg = summary(m.ours.map((x) => x.atEnd.heapUsed - x.atHalf.heapUsed)).median;
      const wg = summary(m.ours.map((x) => x.atEnd.wasm - x.atHalf.wasm)).median;
      const cg = summary(m.ours.map((x) => x.clientsAfter.wasm - half(x).wasm + x.clientsAfter.heapUsed - half(x).heapUsed)).median;
      goals.push([
        `memory: no growth beyond a small constant (read here as: heap < 256 KB and wasm ≤ one 64 KB page from call ${(calls / 2).toLocaleString("en")} to ${calls.toLocaleString("en")}, heap + wasm < 256 KB from client ${halfway} to ${clients.toLocaleString("en")})`,
        `${(calls / 2000).toFixed(0)}k → ${(calls / 1000).toFixed(0)}k calls: heap ${signedKb(hg)}, wasm ${signedKb(wg)}${m.anchor?.length ? ` (anchor heap ${signedKb(summary(m.anchor.map((x) => x.atEnd.heapUsed - x.atHalf.heapUsed)).median)})` : ""}; clients ${halfway} → ${clients.toLocaleString("en")}: heap + wasm ${signedKb(cg)}`,
        hg < 256 * 1024 && wg <= 64 * 1024 && cg < 256 * 1024,
      ]);
    }
  }

  // ---------------------------------------------------------------- store
  const storeLines = [];
  if (S.store?.missing) {
    storeLines.push("Measured by `tests/store/measure.mjs` , which did not exist when this run was made; run it with `node tests/store/measure.mjs`.");
  } else if (S.store?.result?.setups) {
    const r = S.store.result;
    storeLines.push(
      table(
        ["setup", "token requests (ideal: one per lifetime)", "worst caller wait", "store errors"],
        Object.entries(r.rows).map(([name, x]) => [name, `**${x.total}** (${r.lifetimes})`, `${x.worstWaitMs} ms`, x.storeErrors.length]),
      ),
      "",
      `From \`node tests/store/measure.mjs ${S.store.args.join(" ")}\`: ${r.n} isolates (miniflare workers: broker, kv, none) or processes (deno-lease: Deno on one KV file; redis: Node with node-redis on one redis-server) started together, ${r.lifetimes} token lifetime(s) of ${r.ttlSeconds} s as used (each token lasts its life less the ${r.leewaySeconds} s leeway: ${r.durationMs} ms), a ${r.tokenDelayMs} ms token endpoint, each caller asking every 50 ms (\`autoRefresh: false\`).`,
      "",
      `\`measure-store: broker ${r.rows.broker.total}, deno-lease ${r.rows["deno-lease"].total}, redis ${r.rows.redis.total}, kv ${r.rows.kv.total}, none ${r.rows.none.total}\``,
    );
  } else if (S.store?.result) {
    const r = S.store.result;
    storeLines.push(
      table(
        ["mode", "store", "token requests, total", "in the cold start", "after the cold start (goal with the store)", "store gets / puts"],
        r.rows.map((x) => [x.mode, x.store ? "shared (Deno KV file)" : "none", `**${x.total}**`, x.coldStart, `${x.afterColdStart}${x.store ? ` (≤ ${x.goalAfterColdStart})` : ""}`, x.store ? `${x.storeGets} / ${x.storePuts}` : "—"]),
      ),
      "",
      `From \`node tests/store/measure.mjs ${S.store.args.join(" ")}\` (the shared store's measurement, run as it is): ${r.n} Deno processes started together, ${r.lifetimes} token lifetime(s) of ${r.ttlSeconds} s, each with an AuthClient against the emulator; *timer* = \`autoRefresh: true\`, a getToken every 250 ms; *stream* = \`autoRefresh: false\`, a getToken every 50 ms. The cold start is the first quarter lifetime.`,
    );
  } else if (S.store?.text) {
    storeLines.push("`tests/store/measure.mjs` printed:", "", "```", S.store.text.trim(), "```");
  }

  // ---------------------------------------------------------------- profile
  const profLines = [];
  if (S.profile && !S.profile.error) {
    const p = S.profile;
    profLines.push(
      `Main-thread time sampled per call while the measured calls ran (not idle; start-up, warm-up and the first token left out; under load this includes time the thread was descheduled): raw ${p.raw.cpuUsPerCall.toFixed(1)} µs, ours ${p.ours.cpuUsPerCall.toFixed(1)} µs, anchor ${p.anchor.cpuUsPerCall.toFixed(1)} µs (\`node --cpu-prof\`, stub fetch, ${p.ours.calls.toLocaleString("en")} sequential + 2 × 1,000 concurrent calls after the warm-up; the stub's own \`new Response\` is in every variant). Top self time of ours:`,
      "",
      table(["share", "ms", "function"], p.ours.rows.slice(0, 15).map((r) => [pct(r.share), r.ms.toFixed(1), `\`${r.fn}\``])),
      "",
      `Profiles: \`${p.ours.file}\`, \`${p.raw.file}\`, \`${p.anchor.file}\` (open in Chrome DevTools). \`wasm-function[N]\` frames are unnamed because wasm-opt strips the name section.`,
    );
  }

  // ---------------------------------------------------------------- assemble
  const load = raw.machine.load1;
  push(
    "<!-- generated by bench/run.mjs; do not edit by hand -->",
    "# edge-auth benchmarks",
    "",
    `Made by \`${raw.mode === "quick" ? "node bench/run.mjs --quick" : "make bench"}\` (${raw.mode} mode) on ${raw.startedAt.slice(0, 16).replace("T", " ")} UTC, side by side with @badgateway/oauth2-client ${raw.versions.anchor} (*the anchor*: \`OAuth2Client\` + \`OAuth2Fetch\`, client_credentials), against the loopback vendor emulator (\`tests/emulator/\`, zero added latency unless stated). Each figure is the median of repeated runs with its min–max in brackets; raw samples: \`${rawPath}\` (git-ignored).`,
    "",
    `**Package**: \`pkg/\` as built at ${raw.package?.builtAt?.slice(0, 19).replace("T", " ") ?? "?"} UTC${S.size?.pkg ? ` (wasm sha256 \`${S.size.pkg.wasmHash}…\`)` : ""}, copied to \`bench/out/snapshot/\` when the run started; every Node and workerd measurement loads that copy, so a rebuild during the run changes nothing (the store figures come from \`tests/store/measure.mjs\`, which loads \`pkg/\` itself).`,
    "",
    `**Machine**: ${raw.machine.cpus} × ${raw.machine.cpuModel}, ${raw.machine.memGB} GB, Linux ${raw.machine.kernel}; Node ${raw.versions.node} (Node runs), ${raw.versions.node22 ?? "—"} (wrangler, miniflare). **Load**: before \`${raw.machine.uptimeBefore.replace(/^.*load average/, "load average")}\`, after \`${raw.machine.uptimeAfter.replace(/^.*load average/, "load average")}\`; 1-minute load average during the run ${fmt(load, 2)}. Other jobs were running on this 2-core machine, so absolute times are noisy; ratios are taken within a round.`,
    "",
    "## Goals",
    "",
    table(["goal", "figure", "met"], goals.map(([g, f, ok]) => [g, f, ok ? "**yes**" : "**no**"])),
    "",
    "## Size",
    "",
    errorNote(S.size) ?? sizeLines.join("\n"),
    "",
    "## Cold start: `import` → first token in hand",
    "",
    [errorNote(S.cold), errorNote(S.workerd)].filter(Boolean).join("\n") || "",
    coldLines.join("\n"),
    "",
    "## Cold start: the inline-wasm entry against the `.wasm` file",
    "",
    errorNote(S.entries) ?? (entryLines.join("\n") || "Not run this time (`--only`)."),
    "",
    "## Per-call overhead",
    "",
    errorNote(S.overhead) ?? ohLines.join("\n"),
    "",
    "## Token requests",
    "",
    errorNote(S.tokens) ?? tokLines.join("\n"),
    "",
    "### 8 isolates, with and without the shared store",
    "",
    errorNote(S.store) ?? (storeLines.join("\n") || "Not run this time (`--no-store` or `--only`); the figure comes from `tests/store/measure.mjs`."),
    "",
    "## Memory",
    "",
    errorNote(S.memory) ?? memLines.join("\n"),
    "",
    "## Where ours spends a call",
    "",
    errorNote(S.profile) ?? (profLines.join("\n") || "Not run this time (`--no-profile` or `--only`)."),
    "",
    "## Method",
    "",
    "- `make bench` runs `node bench/run.mjs` (full mode, about 10 minutes, writes this file); `node bench/run.mjs --quick` is a short check of the harness (fewer rounds, 1,000 instead of 10,000 sequential calls, a 5 s steady stream; `--duration S` sets the stream's length) and writes `bench/out/RESULTS-quick.md` instead. `--only size,cold,entries,workerd,overhead,tokens,memory,store,profile` runs some sections; `--no-store`, `--no-profile` skip those.",
    "- The emulator runs in a child process (`bench/lib/emulator-process.mjs`: `tests/emulator/server.mjs` started with a listen backlog of 4096 instead of Node's 511, so a burst of 1,000 new connections is not dropped by the kernel and retried a second later). Every measurement uses a namespace of its own, reset afterwards.",
    "- Every client uses the emulator's oauth2 dialect (client_credentials). Rows named `ours-json` send the vendor's JSON body; every side-by-side row sends the form body both libraries speak.",
    "- Node runs use the system `node`; workerd runs bundle `bench/workerd/{ours,anchor}.mjs` with wrangler (`deploy --dry-run`, the package's `workerd` condition, the `.wasm` as a CompiledWasm module) and run them with the miniflare API under Node 22.",
    "",
    "## Time per section",
    "",
    table(["section", "seconds", "all CPUs busy"], Object.entries(raw.busy).map(([k, v]) => [k, v.seconds.toFixed(1), pct(v.cpuBusy)])),
    "",
    "*all CPUs busy*: share of the machine's CPU time not idle during the section (from `/proc/stat`), this benchmark included.",
    "",
  );
  return out.join("\n");
}
