#!/usr/bin/env python3
"""Writes the seed corpus, fuzz/corpus/<target>/<name>, in each target's input
layout (see fuzz/README.md). The response bodies are the vendors' documented
ones (shared/vendor-docs), byte for byte where the page gives them, including
the ones that are not valid JSON as printed. Re-run after changing a layout:

    python3 fuzz/make_seeds.py
"""
import json
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
NOW = 1_700_000_000_000

# ---- the vendors' documented bodies ----

YOUNIUM_V2_OK = b'''{
  "access_token": "eyJhbGciOiJSUzI1NiIsInR5cC...",
  "refresh_token": "4baf4774-5ef9-4983-a8d8-f4fdae7f7000",
  "expires_in": 86400,
  "expires": "Thu, 27 Sep 2025 11:12:01 GMT" 
}'''
YOUNIUM_V1_OK = b'''{
  "expires": "Thu, 21 Sep 2025 11:12:01 GMT",
  "expiresIn": 86400,
  "accessToken": "eyJhbGciOiJSUzI1NiIsInR5cC...",
  "refreshToken": "4baf4774-5ef9-4983-a8d8-f4fdae7f7000"
}'''
# As printed: not JSON (the key is unquoted).
YOUNIUM_ERR = b'''{
    errors: ["<Error message>"]
}'''
UNION_OK = b'''{
    "access_token": "access_token_value",
    "expires_in": 36000,
    "refresh_expires_in": 1800,
    "refresh_token": "refresh_token_value",
    "token_type": "Bearer",
    "not-before-policy": 0,
    "session_state": "session_state_value",
    "scope": "email scope profile"
}'''
UNION_REFRESH_OK = b'''{
    "access_token": "new_access_token_value",
    "expires_in": 36000,
    "refresh_expires_in": 1800,
    "refresh_token": "new_refresh_token_value",
    "token_type": "Bearer",
    "not-before-policy": 0,
    "session_state": "new_session_state_value",
    "scope": "email scope profile"
}'''
PAPAYA_JWT = (
    "eyJ0eXAiOiJKV1QiLCJraWQiOiJBUElLRVkwIiwiYXBpX3Rva2VuX2lkIjoiYjZmMzhhN2QtMDc4MS00OGIyLWFhMTEtODUzMzA5NjEyNWFiIiwiYWxnIjoiUlMyNTYifQ"
    ".eyJpYXQiOjE3MjA1OTc3MTEsImV4cCI6MTcyMDY4NDExMSwic3ViIjoiYWNjZXNzIiwidXNlciI6eyJpZCI6IjgyNzI1NDg4LTIyYmYtNDBkMS1hY2U2LTllYTZlZTQyZjg3MCIsImVtYWlsIjoiZXlhbDEubmV0QGdtYWlsLmNvbSIsIm93bmVyIjp7ImlkIjoiMjAxMDAwIiwib3duZXJUeXBlIjoib3JnX2lkIn19fQ"
    ".gLmL4am5bro27H_ICzLT2OMxnh7MtyuenND9yR1J_jmZyxcnB_XbN1hTXLsqU4l-73UWLNWB9eMseFLVEVSx0z-XtDtDyPvwWHsicxTwC-PmZrhg1EvQRrRgEzUk5D-wJNqXRnfP5CNS78pPo6ZRHwW7N1t1fpop48gKnPdtyOt5m0w0apOyzgLPOWwsTHMKw8qCe5e5d6IumjKpxxeJUcgpzffEibUmaqGL9PFAS5Yky0ABFe37VFwdgj89muLW5RdaOz3HvYiZYLdtH91SIJYKhWMME38_xWSFb8wxoHZsRH3taBdyBUuU5zE8J7wfYQYsm_iA1BMlNZ9d73R71g"
)
# As printed: the comma after the token is missing.
PAPAYA_OK_AS_PRINTED = ('''{
   "valid_until": "2024-07-11T07:48Z",
   "token": "%s"
   "token_name": "82725488-22bf"
}''' % PAPAYA_JWT).encode()
PAPAYA_OK = ('''{
   "valid_until": "2024-07-11T07:48Z",
   "token": "%s",
   "token_name": "82725488-22bf"
}''' % PAPAYA_JWT).encode()
PAPAYA_ERR = b'''{
  "error": "Invalid request"
}'''
OAUTH2_OK = b'''{  
  "token_type": "Bearer",  
  "access_token": "your_access_token",  
  "expires_in": "3600"  
}'''

# ---- edge cases ----

HTML_502 = b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
ECHO = json.dumps({
    "errors": ["secret S3CR3T-xyz is wrong", {"message": "password p@ss w0rd&=\u00fc"}],
    "error": "form p%40ss+w0rd%26%3D%C3%BC",
    "error_description": "json k\\\"e\\\\y/1 and k\"e\\y/1",
    "message": "S3CR3T-xyz\u0001",
    "detail": "[redacted] S3CR3T-xyz[redacted]",
}).encode()
OAUTH2_ERR = b'{"error":"invalid_client","error_description":"Client authentication failed"}'
CRLF_TOKEN = b'{"access_token":"a\\r\\nX-Evil: 1","expires_in":60}'
KEYCLOAK_ZERO = b'{"access_token":"u","expires_in":60,"refresh_expires_in":0,"refresh_token":"rt"}'
HUGE_LIFETIME = b'{"access_token":"t","expires_in":1e300,"token_type":"x\\u0000y"}'
JWT_ONLY = ('{"access_token":"%s"}' % PAPAYA_JWT).encode()
ODD_TYPES = b'{"access_token":"t","expires_in":null,"expires":"2024-07-11T07:48:05.123+02:00","refresh_token":"","scope":"S3CR3T-xyz read"}'


def jwt(claims: bytes) -> str:
    import base64
    b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
    return b(b'{"alg":"none"}') + "." + b(claims) + ".sig"


def write(target, name, data: bytes):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def secret_spec(body: bytes, piece: bytes):
    i = body.find(piece)
    return (i, len(piece)) if i >= 0 else (0, 0)


def token_response(name, provider, status, body, date=b"", retry=b"", flags=0, piece=b""):
    off, ln = secret_spec(body, piece)
    head = struct.pack(">BH", provider, status) + struct.pack("<Q", NOW) + struct.pack(">BHB", flags, off, ln)
    write("token_response", name, head + bytes([len(date)]) + date + bytes([len(retry)]) + retry + body)


def vendor_messages(name, body, flags=0, piece=b""):
    off, ln = secret_spec(body, piece)
    write("vendor_messages", name, struct.pack(">BHB", flags, off, ln) + body)


def main():
    if os.path.isdir(CORPUS):
        for t in os.listdir(CORPUS):
            shutil.rmtree(os.path.join(CORPUS, t))
    YOUNIUM, YOUNIUM_V1, UNION, PAPAYA, OAUTH2 = range(5)
    date = b"Tue, 14 Nov 2023 22:13:20 GMT"

    # token_response: the documented bodies, with their statuses.
    token_response("younium-v2-200", YOUNIUM, 200, YOUNIUM_V2_OK, date)
    token_response("younium-v1-200", YOUNIUM_V1, 200, YOUNIUM_V1_OK)
    token_response("younium-400-as-printed", YOUNIUM, 400, YOUNIUM_ERR)
    token_response("younium-v1-401-as-printed", YOUNIUM_V1, 401, YOUNIUM_ERR)
    token_response("union-200", UNION, 200, UNION_OK, date)
    token_response("union-refresh-200", UNION, 200, UNION_REFRESH_OK)
    token_response("union-500", UNION, 500, b"Internal Error")
    token_response("papaya-201", PAPAYA, 201, PAPAYA_OK, date)
    token_response("papaya-201-as-printed", PAPAYA, 201, PAPAYA_OK_AS_PRINTED)
    token_response("papaya-401", PAPAYA, 401, PAPAYA_ERR, piece=b"Invalid")
    token_response("oauth2-200", OAUTH2, 200, OAUTH2_OK)
    token_response("oauth2-400", OAUTH2, 400, OAUTH2_ERR, piece=b"authentication")
    # …and edge cases.
    token_response("union-502-html", UNION, 502, HTML_502, piece=b"Gateway")
    token_response("oauth2-429-retry-seconds", OAUTH2, 429, b"", retry=b"3")
    token_response("oauth2-503-retry-date", OAUTH2, 503, b'{"message":"down"}', date, retry=b"Tue, 14 Nov 2023 22:13:25 GMT")
    token_response("younium-401-echo", YOUNIUM, 401, ECHO, piece=b"wrong")
    token_response("younium-200-crlf-token", YOUNIUM, 200, CRLF_TOKEN)
    token_response("union-200-keycloak-zero", UNION, 200, KEYCLOAK_ZERO)
    token_response("oauth2-200-huge-lifetime", OAUTH2, 200, HUGE_LIFETIME)
    token_response("papaya-200-jwt-only", PAPAYA, 200, JWT_ONLY)
    token_response("union-200-odd-types", UNION, 200, ODD_TYPES, date=b"garbage", piece=b"read")
    token_response("younium-200-deep", YOUNIUM, 200, b"[" * 2000)
    token_response("younium-200-json-string", YOUNIUM, 200, b'"access_token"')
    token_response("oauth2-302-empty", OAUTH2, 302, b"")
    token_response("oauth2-403-not-utf8", OAUTH2, 403, b"\xff\xfe<title>\xc3\x28</title>")
    token_response("union-404-plain-secret", UNION, 404, b"  S3CR3T-xyz  ", piece=b"S3CR3T")

    # vendor_messages: the documented and edge-case error bodies.
    vendor_messages("younium-as-printed", YOUNIUM_ERR)
    vendor_messages("younium-json", b'{"errors":["Invalid client credentials"]}', piece=b"client")
    vendor_messages("papaya", PAPAYA_ERR)
    vendor_messages("oauth2", OAUTH2_ERR)
    vendor_messages("union-500", b"Internal Error")
    vendor_messages("html-502", HTML_502)
    vendor_messages("echo", ECHO, piece=b"wrong")
    vendor_messages("errors-object", b'{"errors":{"detail":"x"},"detail":"y","message":"y"}')
    vendor_messages("json-string", b'"just a string"')
    vendor_messages("many", json.dumps({"errors": ["m%d" % i for i in range(15)]}).encode())
    vendor_messages("long", json.dumps({"error": "x" * 495 + "S3CR3T-xyz"}).encode())
    vendor_messages("title-multiline", b"<!doctype html>\n<TITLE> Access\n denied </TITLE>")
    vendor_messages("secret-is-marker-part", b'{"error":"[redacted] red acted"}', piece=b"red")

    # json: every documented body, and what RFC 8259 allows at its edges.
    for name, body in [
        ("younium-v2", YOUNIUM_V2_OK), ("younium-v1", YOUNIUM_V1_OK), ("younium-err-as-printed", YOUNIUM_ERR),
        ("union", UNION_OK), ("papaya-as-printed", PAPAYA_OK_AS_PRINTED), ("papaya", PAPAYA_OK), ("papaya-err", PAPAYA_ERR),
        ("oauth2", OAUTH2_OK), ("oauth2-err", OAUTH2_ERR), ("echo", ECHO),
        ("numbers", b"[0,-0,1.5,-2.5e-3,1E+2,9007199254740993,123456789012345678901234567890,1e308,1e-400,0.1,4.9e-324]"),
        ("out-of-range", b"[1e400]"),
        ("escapes", b'"a\"b\\c\/\b\f\n\r\t\u0000\u00e9\ud83d\ude00"'),
        ("lone-surrogate", b'"\ud83d"'), ("raw-control", b'"a\x01"'.replace(b"\\x01", b"\x01")),
        ("repeated-names", b'{"a":1,"b":2,"a":3}'), ("depth-64", b"[" * 64 + b"]" * 64), ("depth-65", b"[" * 65 + b"]" * 65),
        ("whitespace", b" \t\r\n {} \n"), ("not-json", b"{'a':1}"), ("invalid-utf8", b'"\xff"'),
    ]:
        write("json", name, body)

    # dates: the vendors' dates and the forms RFC 9110 requires.
    for i, s in enumerate([
        "Thu, 27 Sep 2025 11:12:01 GMT", "Thu, 21 Sep 2025 11:12:01 GMT", "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "2024-07-11T07:48Z", "2023-11-15T22:13Z",
        "2024-07-11T07:48:05.123456789+02:00", "2024-07-11 07:48", "2024-07-11", "2016-12-31T23:59:60Z",
        "9999-12-31T23:59:59-23:59", "1970-01-01T00:00:00+00:01", "Sun, 31 Feb 2025 00:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT", "120", "  Tue, 14 Nov 2023 22:13:25 GMT  ", "Sept 1 2024 00:00 UTC",
    ]):
        write("dates", "date-%02d" % i, b"\x00" + s.encode())

    def value(v):
        if v is None:
            return b"\x00"
        if isinstance(v, bool):
            return b"\x02" + bytes([int(v)])
        if isinstance(v, float):
            return b"\x03" + struct.pack("<d", v)
        if isinstance(v, int):
            return (b"\x04" + struct.pack("<Q", v)) if v >= 0 else (b"\x0c" + struct.pack("<Q", -v))
        b = v.encode()
        return b"\x05" + bytes([len(b)]) + b

    def compute(name, expires_in, absolute, token="t", server=None):
        head = b"\x01" + struct.pack("<Q", NOW) + bytes([server is not None]) + struct.pack("<Q", server or 0)
        write("dates", "compute-" + name, head + value(expires_in) + value(absolute) + token.encode())

    compute("younium", 86400, "Thu, 27 Sep 2025 11:12:01 GMT", server=NOW + 600_000)
    compute("oauth2-string", "3600", None)
    compute("fraction", 1.5, None)
    compute("papaya-absolute", None, "2024-07-11T07:48Z", token=PAPAYA_JWT, server=NOW)
    compute("jwt-only", None, None, token=PAPAYA_JWT)
    compute("negative", -5, "garbage")
    compute("huge", 1e300, None)

    # jwt: a real token, and claims payloads (mode 1 wraps them into a token).
    write("jwt", "papaya-token", b"\x00" + PAPAYA_JWT.encode())
    write("jwt", "not-a-jwt", b"\x00not-a-jwt")
    write("jwt", "padded", b"\x00" + (jwt(b'{"exp":1700000120}') + "==").encode())
    for i, claims in enumerate([
        b'{"iat":1720597711,"exp":1720684111,"sub":"access"}', b'{"exp":"1720684111"}', b'{"exp":1e300}',
        b'{"exp":-1}', b'{"exp":null}', b'{"exp":"1720684111.5"}', b"[1]", b'{"exp":' + b"[" * 200 + b"}",
    ]):
        write("jwt", "claims-%02d" % i, b"\x01" + claims)

    # url: first line the URL or base, second the relative URL or segment.
    for i, s in enumerate([
        "https://api.younium.com\n/Accounts", "http://127.0.0.1:8787/t/x/\n//Accounts?x=1", "http://localhost:8080\n",
        "http://[::1]:9/\nrefresh-token", "http://127.0.0.1.evil.com/\nx", "http://0127.0.0.1/\nx",
        "http://evil.com\\@127.0.0.1/\nx", "http://user:pw@127.0.0.1/\nx", "http://%6c%6fcalhost/\nx",
        "https://h/union-service/auth/token?api-version=1.0\nrefresh-token", "https://h#frag/x\n?q",
        "https://h:99999/\nx", "HTTP://LOCALHOST./a\n@evil.com", "http://[0:0:0:0:0:0:0:1]/\n..//evil.com",
        "http://[::ffff:127.0.0.1]/\nx", "https://xn--nxasmq6b.example/\nx", "https://b\u00fccher.example/\nx",
        "http://127.1/\nhttps://evil.com/x", "127.0.0.1\nlocalhost", "https://h:/\n\\\\evil.com",
    ]):
        write("url", "url-%02d" % i, s.encode())

    # options: records of name, tag, payload (see fuzz_targets/options.rs).
    N = {n: i for i, n in enumerate([
        "provider", "baseUrl", "tokenUrl", "refreshUrl", "environment", "apiVersion", "clientId", "secret", "username", "password",
        "apiKey", "clientSecret", "tokenName", "scope", "audience", "bodyEncoding", "clientAuth", "refreshLeewaySeconds", "timeoutMs",
        "legalEntity", "autoRefresh"])}

    def s(name, text):
        b = text.encode()
        return bytes([N[name], 1, len(b)]) + b

    def k(name, idx):
        return bytes([N[name], 5, idx])

    def num(name, x):
        return bytes([N[name], 2]) + struct.pack("<d", x)

    def boolean(name, x):
        return bytes([N[name], 3, int(x)])

    def other(name, idx):
        return bytes([N[name], 4, idx])

    for name, recs in {
        "younium": [k("provider", 0), s("clientId", "id-1"), s("secret", "S3CR3T-xyz")],
        "younium-v1-us-sandbox": [k("provider", 1), k("environment", 14), s("clientId", "i"), s("secret", "s"), k("legalEntity", 26)],
        "younium-injection": [k("provider", 0), s("clientId", "i"), s("secret", "s"), k("legalEntity", 24)],
        "union": [k("provider", 2), k("baseUrl", 5), s("username", "member-user"), s("password", "member-password")],
        "union-token-url": [k("provider", 2), k("tokenUrl", 8), s("username", "u"), k("password", 21), s("apiVersion", "2 b")],
        "papaya": [k("provider", 3), k("baseUrl", 6), s("apiKey", "82725488-22bf-40d1-ace6-9ea6ee42f870"), s("clientSecret", "MySecret!!!"), s("tokenName", "82725488-22bf")],
        "oauth2-form-basic": [k("provider", 4), k("baseUrl", 11), s("clientId", "my id"), s("clientSecret", "p&ss"), k("bodyEncoding", 17), k("clientAuth", 19), s("scope", "a b"), s("audience", "aud")],
        "oauth2-insecure": [k("provider", 4), k("baseUrl", 10), s("clientId", "i"), k("clientSecret", 20)],
        "oauth2-fragment": [k("provider", 4), k("tokenUrl", 9), s("clientId", "i"), s("clientSecret", "S3CR3T-xyz")],
        "numbers": [k("provider", 0), s("clientId", "i"), s("secret", "s"), num("timeoutMs", 600_000.5), num("refreshLeewaySeconds", 86400.0), boolean("autoRefresh", True)],
        "nan": [k("provider", 0), s("clientId", "i"), s("secret", "s"), num("timeoutMs", float("nan"))],
        "wrong-types": [k("provider", 3), k("baseUrl", 5), other("apiKey", 0), s("clientSecret", "x")],
        "empty-secret": [k("provider", 2), k("baseUrl", 7), s("username", "u"), k("password", 22)],
        "latin1-version": [k("provider", 0), s("clientId", "i"), s("secret", "s"), k("apiVersion", 27)],
        "nothing": [],
    }.items():
        write("options", name, b"".join(recs))

    # store_decode: `now:u64le`, then what encode writes, and what a hostile
    # store could hold; the reader's key is "edge-auth:v2:00".
    key = "edge-auth:v2:00"
    store_now = struct.pack("<Q", 2000)
    for i, v in enumerate([
        {"v": 2, "key": key, "accessToken": "at-1", "tokenType": "Bearer", "obtainedAt": 1000, "expiresAt": 3601000, "refreshToken": "rt-1", "refreshExpiresAt": 1801000, "scope": "email"},
        {"v": 2, "key": key, "accessToken": "at", "obtainedAt": 0, "expiresAt": 18446744073709551615, "refreshToken": "r"},
        {"v": 2, "key": key, "accessToken": "a b", "obtainedAt": 1, "expiresAt": 5},
        {"v": 2, "key": key, "accessToken": "a", "obtainedAt": 9, "expiresAt": 5},
        {"v": 1, "accessToken": "a", "obtainedAt": 1, "expiresAt": 5},
        {"v": 2, "key": key, "accessToken": "a", "obtainedAt": 1, "expiresAt": 5, "tokenType": "\r\n", "refreshExpiresAt": 7},
        {"v": 2.0, "key": key, "accessToken": "a", "obtainedAt": 1.5, "expiresAt": -5},
        {"v": 2, "key": "edge-auth:v2:ff", "accessToken": "a", "obtainedAt": 1, "expiresAt": 5},
        {"v": 2, "key": key, "accessToken": "a", "obtainedAt": 8640000000000000, "expiresAt": 8640000000000000},
        {"v": 2, "key": key, "accessToken": "a", "obtainedAt": 1000, "expiresAt": 8640000000000000},
    ]):
        write("store_decode", "value-%02d" % i, store_now + json.dumps(v).encode())
    write("store_decode", "not-json", store_now + b"{\"v\":2,")
    write("store_decode", "deep", store_now + b"[" * 1000)

    # redact: flags, derived secret, own secrets, text.
    def redact(name, text: bytes, own=(), flags=0, piece=b""):
        off, ln = secret_spec(text, piece)
        head = struct.pack(">BHB", flags, off, ln) + bytes([len(own)])
        for o in own:
            head += bytes([len(o)]) + o
        write("redact", name, head + text)

    redact("raw-and-encoded", b"bad secret a b&c and a+b%26c", own=[b"a b&c"])
    redact("longest-first", b"xx-secret-long-xx", own=[b"secret"], piece=b"secret-long")
    redact("fixed", b"S3CR3T-xyz p@ss w0rd&=\xc3\xbc p%40ss+w0rd%26%3D%C3%BC k\\\"e\\\\y/1", flags=2)
    redact("marker-chars", b"e [redacted] d]x ][", own=[b"]"], piece=b"d]x")
    redact("unicode", "\u00fc\u00fc\u00fc\U0001f600 secret \U0001f600".encode(), own=["\U0001f600".encode()])
    redact("json-key", b'{"access_token":"x","token":"y"}', own=[b'"'], piece=b"token")


if __name__ == "__main__":
    main()
