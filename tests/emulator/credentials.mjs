// Sample credentials the emulator accepts. No dependencies, so that test code
// running inside workerd or a browser page can import it too.
export const SAMPLE_CREDENTIALS = Object.freeze({
  younium: { clientId: "demo-client-id", secret: "demo-secret-younium" },
  "younium-v1": { clientId: "demo-client-id", secret: "demo-secret-younium" },
  union: { username: "member-user", password: "member-password" },
  papaya: { apiKey: "82725488-22bf-40d1-ace6-9ea6ee42f870", clientSecret: "MySecret!!!" },
  oauth2: { clientId: "demo-oauth2-client", clientSecret: "demo-oauth2-secret" },
});
