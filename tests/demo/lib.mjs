// Shared by the demo tests: runs `node www/server.mjs --port 0` as a child
// process, exactly as `make demo` runs it (with a free port), and reads the
// URL it prints.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** `nodeArgs`: flags for node before the script (e.g. `--import` of a test hook). */
export async function startDemoProcess({ timeoutMs = 30_000, nodeArgs = [] } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, "www/server.mjs"), "--port", "0", "--host", "127.0.0.1"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`www/server.mjs printed no URL in ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`)), timeoutMs);
    const check = () => {
      const m = /open (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`www/server.mjs exited (${code}) before printing its URL\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
  return {
    url,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
