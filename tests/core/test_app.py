def test_home_page_renders(client):
    resp = client.get("/")
    assert resp.status_code == 200
    assert b"Quick exit" in resp.data


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
