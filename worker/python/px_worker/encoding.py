"""JSON for frames: whatever user code displays must still encode, and encode to JSON that
the Rust side accepts (no NaN, no lone surrogates)."""

import base64
import json
import math


def _json_default(obj):
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(obj)).decode("ascii")
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    for attr in ("tolist", "item"):
        method = getattr(obj, attr, None)
        if callable(method):
            try:
                return method()
            except Exception:
                pass
    return repr(obj)


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps(msg):
    try:
        text = json.dumps(msg, default=_json_default, ensure_ascii=False, allow_nan=False)
    except ValueError:
        # NaN or infinity somewhere: JSON has no spelling for them, the supervisor would
        # reject the frame, so send null as Jupyter's json_clean does.
        roundtrip = json.loads(json.dumps(msg, default=_json_default))
        text = json.dumps(_finite(roundtrip), ensure_ascii=False)
    # Lone surrogates (from surrogateescape) cannot be UTF-8: replace them.
    return text.encode("utf-8", "replace")
