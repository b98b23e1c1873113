// A static, read-only file server on 127.0.0.1 (port chosen by the OS) for
// the Chromium tests: GET/HEAD only, no traversal out of its root, every
// file with its real content type (.wasm as application/wasm).
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import http from "node:http";
import path from "node:path";

export const CONTENT_TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * Serves `root`; resolves to the listening http.Server. With `fallback` (a
 * file under root), a path that is not found gets that file as HTML with
 * status 200, as a single-page-app server does.
 */
export async function startStaticServer(root, { fallback } = {}) {
  const realRoot = await realpath(root);
  const srv = http.createServer(async (req, res) => {
    const fail = (status, text) => {
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : text);
    };
    try {
      if (req.method !== "GET" && req.method !== "HEAD") return fail(405, "method not allowed");
      let pathname;
      try {
        pathname = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
      } catch {
        return fail(400, "bad path");
      }
      if (pathname.includes("\0") || pathname.includes("\\")) return fail(400, "bad path");
      const candidate = path.resolve(realRoot, "." + path.posix.normalize(pathname));
      if (candidate !== realRoot && !candidate.startsWith(realRoot + path.sep)) return fail(403, "forbidden");
      let file;
      try {
        file = await realpath(candidate);
      } catch {
        if (fallback === undefined) return fail(404, "not found");
        file = await realpath(path.join(realRoot, fallback));
      }
      if (file !== realRoot && !file.startsWith(realRoot + path.sep)) return fail(403, "forbidden");
      const info = await stat(file);
      if (!info.isFile()) return fail(404, "not found");
      res.writeHead(200, {
        "content-type": CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream",
        "content-length": info.size,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      });
      if (req.method === "HEAD") return res.end();
      createReadStream(file).on("error", () => res.destroy()).pipe(res);
    } catch (e) {
      if (!res.headersSent) fail(500, "internal error");
      else res.destroy(e);
    }
  });
  await new Promise((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", resolve);
  });
  return srv;
}

