import six


def banner(service: str) -> str:
    return six.ensure_str(f"hello from the {service} service")
