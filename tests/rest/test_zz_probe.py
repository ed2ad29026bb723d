import httpx
from tests.rest.helpers import post_ok, bearer

ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}

async def test_probe_misc(client: httpx.AsyncClient) -> None:
    await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)
    for raw in [b'{"refresh_token": "\\ud800"}', b'{"email": "\\ud800@x.com", "password": "x"}', b'not json', b'[]', b'null']:
        for path in ["/v1/auth/refresh", "/v1/auth/login", "/v1/auth/logout"]:
            r = await client.post(path, content=raw, headers={"content-type": "application/json"})
            print("RAW", path, raw[:30], r.status_code, r.text[:120])
    for body in [{"refresh_token": ""}, {"refresh_token": None}, {}, {"refresh_token": 5}, {"refresh_token": "x" * 100000}]:
        r = await client.post("/v1/auth/refresh", json=body)
        print("REFRESH", str(body)[:50], r.status_code, r.text[:120])
    for body in [{"email": "a@b.co", "password": "SecurePassword123!", "username": "bad name"},
                 {"email": "a@b.co", "password": "SecurePassword123!", "username": ""},
                 {"email": "x"*300 + "@b.co", "password": "SecurePassword123!"},
                 {"email": "a2@b.co", "password": "x"*2000},
                 {"email": "a3@b.co", "password": "é"*300},
                 {"email": "a4@b.co", "password": "SecurePassword123!", "first_name": "x"*200},
                 {"email": "a5@b.co", "password": "SecurePassword123!", "name": "x"*300},
                 {"email": "a6@b.co", "password": "SecurePassword123!", "username": "u"*151},
                 {"email": "a7@b.co", "password": "SecurePassword123!", "username": 5},
                 ]:
        r = await client.post("/v1/auth/register", json=body)
        print("REGISTER", str(body)[:60], r.status_code, r.text[:160])
    long_ua = {"User-Agent": "Mozilla/5.0 " + "x" * 1500}
    r = await client.post("/v1/auth/register", json={"email": "ua@b.co", "password": "SecurePassword123!"}, headers=long_ua)
    print("LONG UA register", r.status_code, r.text[:120])
    r = await client.post("/v1/auth/login", json=ACCOUNT, headers=long_ua)
    print("LONG UA login", r.status_code, r.text[:120])
    r = await client.post("/v1/auth/login", json={**ACCOUNT, "password": "wrong-password"}, headers=long_ua)
    print("LONG UA failed login", r.status_code, r.text[:120])
    r = await client.get("/health", headers={"x-request-id": "r" * 300})
    print("LONG RID", r.status_code, r.headers["x-request-id"][:40])
    login = await post_ok(client, "/v1/auth/login", ACCOUNT)
    r = await client.put("/v1/auth/profile", json={"avatar_url": "x" * 2000, "name": "n" * 300, "organization": "o" * 200}, headers=bearer(login["access_token"]))
    print("PROFILE max", r.status_code, r.text[:120])
    r = await client.put("/v1/auth/profile", json={"username": "bad name"}, headers=bearer(login["access_token"]))
    print("PROFILE bad username", r.status_code, r.text[:120])
    r = await client.delete("/v1/auth/sessions/not-a-uuid", headers=bearer(login["access_token"]))
    print("DELETE bad uuid", r.status_code, r.text[:120])
    r = await client.get("/v1/devices/" + "x" * 300, headers=bearer(login["access_token"]))
    print("DEVICE long id", r.status_code, r.text[:120])
    r = await client.post("/v1/auth/logout", json={"refresh_token": "x" * 100000})
    print("LOGOUT long", r.status_code, r.text[:120])
    r = await client.post("/v1/auth/change-password", json={"current_password": "SecurePassword123!", "new_password": "AnotherSecure123!", "confirm_password": None}, headers=bearer(login["access_token"]))
    print("CHANGE confirm None", r.status_code, r.text[:120])
