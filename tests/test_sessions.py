import pytest


@pytest.mark.parametrize("cookie", ["abcdefgh\x00ijklmnop", "abcdéfgh12345678", "../../etc/passwd"])
@pytest.mark.parametrize("path", ["/api/v1/centres/", "/"])
def test_a_malformed_session_cookie_is_ignored_not_a_server_error(client, db, centre, cookie, path):
    client.cookies["sessionid"] = cookie
    response = client.get(path)
    assert response.status_code == 200
    assert centre.name in response.content.decode()


def test_a_real_session_still_logs_in(client, member):
    client.force_login(member)
    assert client.get("/api/v1/bookings/").status_code == 200
