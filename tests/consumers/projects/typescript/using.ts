// Compiled only where the lib has explicit resource management (esnext):
// `using` takes an AuthClient.
import { AuthClient } from "edge-auth";

export function scoped(baseUrl: string): void {
  using client = new AuthClient({ provider: "oauth2", baseUrl, clientId: "id", clientSecret: "secret" });
  client.invalidate();
}
