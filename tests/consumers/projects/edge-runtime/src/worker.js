// An edge function in the service-worker style Vercel's Edge Runtime runs:
// GET /?baseUrl=… answers with the probe's result.
import { probe } from "./probe.js";

addEventListener("fetch", (event) => {
  const baseUrl = new URL(event.request.url).searchParams.get("baseUrl");
  event.respondWith(
    probe(baseUrl).then(
      (result) => Response.json(result),
      (error) => Response.json({ error: String(error?.stack ?? error) }),
    ),
  );
});
