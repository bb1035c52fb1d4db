"""Derive the config keys the pinned LiteLLM accepts, and their types, from LiteLLM itself.

Run with LiteLLM's own interpreter, whenever sandbox/litellm-requirements.txt moves:

    .venv-litellm/bin/python scripts/derive_litellm_keys.py > checks/data/litellm-keys.json

Sources, per section of config.yaml (as LiteLLM's proxy reads them in this version):
- top level: the fields of `ConfigYAML` and every `config.get("...")` / `config["..."]` the
  proxy's `ProxyConfig` class and its include resolver make;
- general_settings: the fields of `ConfigGeneralSettings` and every `general_settings.get("...")`
  / `general_settings["..."]` anywhere in litellm/proxy;
- router_settings: `Router.get_valid_args()` (what the proxy passes on) minus the settings it
  manages elsewhere, typed by `Router.__init__`'s annotations;
- litellm_settings: the keys the proxy handles itself (`key == "..."` in its settings loop) and
  every public data attribute of the `litellm` module (the proxy `setattr`s any other key);
- cache_params: `Cache.__init__`; model_list entries: `ModelParams`; litellm_params:
  `LiteLLM_Params`; model_info: `ModelInfo`.
Sections that pass unknown keys on are listed as open. Each key maps to the JSON types it may
hold (int, number, bool, str, list, dict, null), or to null when its annotation says nothing
checkable. `values` lists, per section, the keys whose annotation is an enumeration (a Literal or
an Enum, e.g. router_settings.routing_strategy, cache_params.type) and the values accepted.
"""

from __future__ import annotations

import ast
import enum
import inspect
import json
import os
import sys
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch from the internet

import litellm
from litellm.caching.caching import Cache
from litellm.constants import ROUTER_SETTINGS_MANAGED_OUTSIDE_CONFIG
from litellm.proxy._types import ConfigGeneralSettings, ConfigYAML, ModelParams
from litellm.types.router import LiteLLM_Params, ModelInfo
from pydantic import BaseModel

PROXY = Path(litellm.__file__).parent / "proxy"
Types = list[str] | None


def json_types(annotation: Any) -> Types:
    """The JSON types a value of `annotation` may be; None when it cannot be told."""
    if isinstance(annotation, str) or annotation in (Any, inspect.Parameter.empty, object):
        return None
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        found: set[str] = set()
        for arg in typing.get_args(annotation):
            tags = json_types(arg)
            if tags is None:
                return None
            found.update(tags)
        return sorted(found)
    if origin is typing.Literal:
        return sorted({tag for value in typing.get_args(annotation) for tag in _of_value(value)})
    if origin is typing.Annotated:
        return json_types(typing.get_args(annotation)[0])
    return _of_class(origin or annotation)


def _of_class(cls: Any) -> Types:
    if cls is type(None):
        return ["null"]
    if not isinstance(cls, type):
        return None
    for base, tags in (
        (bool, ["bool"]),
        (int, ["int"]),
        (float, ["int", "number"]),
        (str, ["str"]),
        (BaseModel, ["dict"]),
        (Mapping, ["dict"]),
        (dict, ["dict"]),
    ):
        if issubclass(cls, base):
            return tags
    if issubclass(cls, list | tuple | set | frozenset | Sequence):
        return ["list"]
    if typing.is_typeddict(cls):
        return ["dict"]
    return None


def _of_value(value: Any) -> list[str]:
    return json_types(type(value)) or []


def accepted_values(annotation: Any) -> list[Any] | None:
    """The values an enumerated annotation allows (None aside); None when it is not one."""
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [member.value for member in annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return list(typing.get_args(annotation))
    if origin is typing.Annotated:
        return accepted_values(typing.get_args(annotation)[0])
    if origin not in (typing.Union, types.UnionType):
        return None
    found: list[Any] = []
    for arg in typing.get_args(annotation):
        if arg is type(None):
            continue
        values = accepted_values(arg)
        if values is None:
            return None  # an enumeration or anything else: not a closed set
        found += values
    return found or None


def enumerated(hints: Mapping[str, Any], names: Iterable[str]) -> dict[str, list[Any]]:
    found = {name: accepted_values(hints[name]) for name in names if name in hints}
    return {name: values for name, values in found.items() if values}


def values_of_model(model: type[BaseModel]) -> dict[str, list[Any]]:
    hints = {f.alias or n: f.annotation for n, f in model.model_fields.items()}
    return enumerated(hints, hints)


def of_model(model: type[BaseModel]) -> dict[str, Types]:
    keys: dict[str, Types] = {}
    for name, field in model.model_fields.items():
        keys[field.alias or name] = json_types(field.annotation)
    return keys


def of_signature(function: Any, names: Sequence[str] | None = None) -> dict[str, Types]:
    hints = typing.get_type_hints(function)
    parameters = inspect.signature(function).parameters
    wanted = names if names is not None else [n for n in parameters if n != "self"]
    kinds = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    return {
        name: json_types(hints.get(name, inspect.Parameter.empty))
        for name in wanted
        if name in parameters and parameters[name].kind not in kinds
    }


def string_keys(
    tree: ast.AST, receiver: str, constants: dict[str, str] | None = None
) -> Iterator[str]:
    """Every "x" in `receiver.get("x", ...)` and `receiver["x"]`, and in `receiver.get(NAME)`
    where NAME is a module-level string constant of `constants` (LiteLLM reads
    `dangerously_allow_mock_testing_request_params` through MOCK_TESTING_CONFIG_KEY)."""
    constants = constants or {}
    for node in ast.walk(tree):
        key: ast.expr | None = None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == receiver
            and node.args
        ):
            key = node.args[0]
        elif (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == receiver
        ):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            yield key.value
        elif isinstance(key, ast.Name) and key.id in constants:
            yield constants[key.id]


def string_constants(trees: Iterable[ast.Module]) -> dict[str, str]:
    """Module-level `NAME = "x"` / `NAME: Final = "x"` of upper-case names, across modules."""
    found: dict[str, str] = {}
    for tree in trees:
        for node in tree.body:
            target = node.target if isinstance(node, ast.AnnAssign) else None
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
            value = getattr(node, "value", None)
            if (
                isinstance(target, ast.Name)
                and target.id.isupper()
                and isinstance(value, ast.Constant)
                and isinstance(value.value, str)
            ):
                found[target.id] = value.value
    return found


def compared_keys(tree: ast.AST, name: str) -> Iterator[str]:
    """Every "x" in `name == "x"` and `name in {"x", ...}`."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Compare) and isinstance(node.left, ast.Name)):
            continue
        if node.left.id != name:
            continue
        for right in node.comparators:
            constants = right.elts if isinstance(right, ast.Set | ast.List | ast.Tuple) else [right]
            for constant in constants:
                if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                    yield constant.value


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))


def proxy_config_class() -> ast.ClassDef:
    tree = parsed(PROXY / "proxy_server.py")
    return next(
        node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "ProxyConfig"
    )


def top_level() -> dict[str, Types]:
    keys = of_model(ConfigYAML)
    read = set(string_keys(proxy_config_class(), "config"))
    includes = parsed(PROXY / "common_utils" / "config_includes.py")
    read.update(
        node.value.value
        for node in ast.walk(includes)
        if isinstance(node, ast.AnnAssign | ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        and "KEY" in ast.unparse(node.targets[0] if isinstance(node, ast.Assign) else node.target)
    )
    return {**dict.fromkeys(sorted(read - keys.keys())), **keys}


def general_settings() -> dict[str, Types]:
    keys = of_model(ConfigGeneralSettings)
    read: set[str] = set()
    trees = [parsed(path) for path in sorted(PROXY.rglob("*.py"))]
    constants = string_constants(trees)
    for tree in trees:
        read.update(string_keys(tree, "general_settings", constants))
    return {**dict.fromkeys(sorted(read - keys.keys())), **keys}


def router_settings() -> dict[str, Types]:
    names = [
        name
        for name in litellm.Router.get_valid_args()
        if name not in ROUTER_SETTINGS_MANAGED_OUTSIDE_CONFIG
    ]
    return of_signature(litellm.Router.__init__, names)


def litellm_settings() -> dict[str, Types]:
    load_config = next(
        node
        for node in ast.walk(proxy_config_class())
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef) and node.name == "load_config"
    )
    keys: dict[str, Types] = dict.fromkeys(sorted(set(compared_keys(load_config, "key"))))
    hints = getattr(litellm, "__annotations__", {})
    for name, value in sorted(vars(litellm).items()):
        if name.startswith("_") or name != name.lower() or name in keys:
            continue
        if inspect.ismodule(value) or inspect.isclass(value) or callable(value):
            continue
        if name in hints:
            keys[name] = json_types(hints[name])
        else:
            keys[name] = None if value is None else _of_value(value) or None
    return keys


def open_sections() -> list[str]:
    """Sections where LiteLLM takes keys it does not know: models that allow extra fields pass
    them on (provider parameters, model metadata), and the proxy sets any litellm_settings key
    on the litellm module. There only a near miss of a known key is a mistake."""
    models = {"litellm_params": LiteLLM_Params, "model_info": ModelInfo}
    allowing = [
        name for name, model in models.items() if model.model_config.get("extra") == "allow"
    ]
    return [*allowing, "litellm_settings"]


def values() -> dict[str, dict[str, list[Any]]]:
    router = typing.get_type_hints(litellm.Router.__init__)
    found = {
        "general_settings": values_of_model(ConfigGeneralSettings),
        "router_settings": enumerated(router, router_settings()),
        "litellm_settings": enumerated(getattr(litellm, "__annotations__", {}), vars(litellm)),
        "cache_params": enumerated(
            typing.get_type_hints(Cache.__init__), of_signature(Cache.__init__)
        ),
        "litellm_params": values_of_model(LiteLLM_Params),
        "model_info": values_of_model(ModelInfo),
    }
    return {section: keys for section, keys in found.items() if keys}


def derive() -> dict[str, Any]:
    return {
        "litellm_version": version("litellm"),
        "derived_by": "scripts/derive_litellm_keys.py",
        "open_sections": open_sections(),
        "sections": {
            "": top_level(),
            "general_settings": general_settings(),
            "router_settings": router_settings(),
            "litellm_settings": litellm_settings(),
            "cache_params": of_signature(Cache.__init__),
            "model_list[]": of_model(ModelParams),
            "litellm_params": of_model(LiteLLM_Params),
            "model_info": of_model(ModelInfo),
        },
        "values": values(),
    }


if __name__ == "__main__":
    json.dump(derive(), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
