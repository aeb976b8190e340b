"""Module weights through the store: safetensors only, round trips, across processes."""

import json
import subprocess
import sys
import textwrap

import pytest

torch = pytest.importorskip("torch")

from hylo.library import open_store  # noqa: E402
from hylo.neural import kinds  # noqa: E402


def _inputs():
    return torch.rand(5, 8, 8, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("kind,spec", [("classify", {}), ("classify", {"arch": "mlp"}),
                                       ("classify", {"arch": "linear", "classes": 4}),
                                       ("regress", {}), ("mlp", {"in": 4, "out": 3})])
@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_round_trip_through_the_store(tmp_path, kind, spec, backend):
    module = kinds.build(kind, spec, seed=1)
    store = open_store(None if backend == "memory" else tmp_path / "lib.db")
    version = store.put_module("m", kind, kinds.full_spec(kind, spec), kinds.to_bytes(module),
                               {"acc": 1.0}, {"task": "t"})
    rec = store.get_module("m", version)
    again = kinds.from_bytes(rec.kind, rec.spec, rec.weights)
    x = torch.rand(5, 4) if kind == "mlp" else _inputs()
    torch.testing.assert_close(again(x), module(x))
    store.close()


def test_weights_are_safetensors_not_pickle():
    blob = kinds.to_bytes(kinds.build("classify", seed=0))
    assert not blob.startswith(b"\x80") and not blob.startswith(b"PK")  # pickle / torch zip
    header_len = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + header_len])
    assert "net.1.weight" in header and header["net.1.weight"]["dtype"] == "F32"


def test_loading_refuses_weights_of_another_architecture():
    blob = kinds.to_bytes(kinds.build("classify", {"arch": "mlp"}, seed=0))
    with pytest.raises(RuntimeError):
        kinds.from_bytes("classify", {"arch": "cnn"}, blob)


def test_a_library_written_by_one_process_loads_in_another(tmp_path):
    db = tmp_path / "lib.db"
    out = tmp_path / "expected.json"
    writer = textwrap.dedent(f"""
        import json, torch
        from hylo.library import open_store
        from hylo.neural import kinds
        module = kinds.build("classify", seed=7)
        x = torch.rand(5, 8, 8, generator=torch.Generator().manual_seed(0))
        with open_store({str(db)!r}) as store:
            store.put_module("classify", "classify", kinds.full_spec("classify"),
                             kinds.to_bytes(module), {{}}, {{"domain": "digits"}})
        json.dump(module(x).tolist(), open({str(out)!r}, "w"))
    """)
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=120)
    with open_store(db) as store:
        rec = store.get_module("classify")
    module = kinds.from_bytes(rec.kind, rec.spec, rec.weights)
    expected = torch.tensor(json.loads(out.read_text()))
    torch.testing.assert_close(module(_inputs()), expected)
