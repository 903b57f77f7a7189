"""Who is calling: one answer for the API throttles, the login lockout and the password-reset throttle."""
import ipaddress

from rest_framework.throttling import BaseThrottle


def client_address(request):
    """The caller's IP address, read as DRF's throttles read it: REMOTE_ADDR, or the address the NUM_PROXIES-th
    proxy from the end of X-Forwarded-For saw. Something that is no address there (a client talking to the
    server directly and inventing the header) counts as REMOTE_ADDR; None when even that is missing."""
    address = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return request.META.get("REMOTE_ADDR") or None
