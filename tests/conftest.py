import socket

import pytest

from greenal import api


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Tests never reach the network: any internet connection attempt fails loudly."""
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            raise AssertionError(f"network access attempted: {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("greenal-data")


@pytest.fixture(scope="session")
def engine(data_dir):
    return api.engine(data_dir)


def potline_declaration(ac_kwh_per_t: float, output_t: float, grid: str, **changes):
    """A potline declaration on one grid supply sized to its use; `changes` set fields by
    'section__field' paths (e.g. electricity__certificates=[...])."""
    import copy
    import datetime as dt

    from greenal.declaration.model import parse

    data = {
        "schema_version": 1,
        "declarant": {"name": "Test potline", "uscc": "91450000MA5K8XXX1A", "province": "guangxi"},
        "period": {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 31)},
        "product": {"kind": "primary-liquid", "annual_output_t": output_t},
        "electrolysis": {"ac_kwh_per_t": ac_kwh_per_t},
        "electricity": {"supplies": [{"id": "grid", "kind": "grid", "mwh": ac_kwh_per_t * output_t / 1000,
                                      "grid": grid, "factor_year": 2022}], "certificates": []},
    }
    data = copy.deepcopy(data)
    for path, value in changes.items():
        *head, last = path.split("__")
        node = data
        for key in head:
            node = node[key]
        node[last] = value
    return parse(data, "test.yaml", lambda p: ".".join(map(str, p)))
