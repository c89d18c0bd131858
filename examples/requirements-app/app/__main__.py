from importlib.metadata import version

import attrs
import idna
import packaging.version
import six  # noqa: F401

GREETING = "hello from the requirements example"


@attrs.define
class Site:
    host: str


print(GREETING)
print(Site(idna.encode("example.com").decode()), packaging.version.Version(version("packaging")))
