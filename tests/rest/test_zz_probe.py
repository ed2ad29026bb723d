import asyncio
from collections import Counter
import httpx
from tests.rest.helpers import post_ok

ACCOUNT = {"email": "user@example.com", "password": "SecurePassword123!"}

async def test_probe_parallel_correct(client: httpx.AsyncClient) -> None:
    await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)
    responses = await asyncio.gather(*(client.post("/v1/auth/login", json=ACCOUNT) for _ in range(10)))
    print("PARALLEL CORRECT", Counter(r.status_code for r in responses))
    after = await client.post("/v1/auth/login", json=ACCOUNT)
    print("AFTER", after.status_code, after.text[:200])

async def test_probe_misc(client: httpx.AsyncClient) -> None:
    await post_ok(client, "/v1/auth/register", ACCOUNT, status=201)
    for body in [{"email": "", "password": "x"}, {"password": "x"}, {"email": "user@example.com"}, {"email": None, "username": None, "password": "x"},
                 {"email": "user@example.com", "password": "SecurePassword123!", "device_info": {"device_id": "x"*500}},
                 {"email": "user@example.com", "password": "SecurePassword123!", "device_info": {"device_id": 12}},
                 {"email": "\ud800@x.com", "password": "x"}, {"email": " user@example.com ", "password": "SecurePassword123!"}]:
        r = await client.post("/v1/auth/login", json=body)
        print("LOGIN", body if len(str(body)) < 100 else "big", r.status_code, r.text[:160])
    for body in [{"refresh_token": ""}, {"refresh_token": None}, {}, {"refresh_token": 5}, {"refresh_token": "\ud800"}]:
        r = await client.post("/v1/auth/refresh", json=body)
        print("REFRESH", body, r.status_code, r.text[:160])
    r = await client.post("/v1/auth/refresh", content=b"not json", headers={"content-type": "application/json"})
    print("REFRESH garbage", r.status_code, r.text[:160])
    r = await client.post("/v1/auth/logout", json={})
    print("LOGOUT empty", r.status_code, r.text[:160])
    for body in [{"email": "a@b.co", "password": "SecurePassword123!", "username": "bad name"},
                 {"email": "a@b.co", "password": "SecurePassword123!", "username": ""},
                 {"email": "x"*400 + "@b.co", "password": "SecurePassword123!"},
                 {"email": "a2@b.co", "password": "x"*2000},
                 {"email": "a3@b.co", "password": "é"*300},
                 {"email": "a4@b.co", "password": "SecurePassword123!", "first_name": "x"*200},
                 ]:
        r = await client.post("/v1/auth/register", json=body)
        print("REGISTER", str(body)[:60], r.status_code, r.text[:200])
