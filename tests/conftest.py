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
