"""Reading template.yaml: CloudFormation's YAML tags, and intrinsics resolved against a local stack."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class _CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads `!Ref X` as {"Ref": "X"} and `!Sub s` as {"Fn::Sub": "s"}."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    document = yaml.load(path.read_text(encoding="utf-8"), Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a CloudFormation template")
    return document


_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


@dataclass
class Resolver:
    """Resolves Ref, GetAtt, Sub, If, Not, Equals, Join, Select and Split against what the local stack
    made."""

    parameters: Mapping[str, str]
    conditions: Mapping[str, Any]
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    region: str = "us-east-1"
    account: str = "123456789012"
    stack_name: str = "pressrun"

    def _ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::StackName": self.stack_name,
            # A stack id ends with a UUID CloudFormation gives the stack; one that never changes here.
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.stack_name}/"
                "6f1d2c4e-8b3a-4f7e-9d5c-1a2b3c4d5e6f"
            ),
            "AWS::URLSuffix": "amazonaws.com",
        }
        for source in (pseudo, self.parameters, self.refs):
            if name in source:
                return str(source[name])
        raise KeyError(f"template refers to {name}, which the local stack has not made")

    def _get_att(self, resource: str, attribute: str) -> str:
        try:
            return self.attributes[(resource, attribute)]
        except KeyError:
            raise KeyError(f"the local stack has no {resource}.{attribute}") from None

    def _sub(self, text: str) -> str:
        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if "." in name:
                resource, attribute = name.split(".", 1)
                return self._get_att(resource, attribute)
            return self._ref(name)

        return _SUB_VARIABLE.sub(variable, text)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.conditions[name]))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((name, argument),) = value.items()
            handler = self._functions().get(name)
            if handler is not None:
                return handler(argument)
        return {key: self.resolve(item) for key, item in value.items()}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": lambda name: self._ref(name),
            "Fn::GetAtt": lambda argument: self._get_att(*argument),
            "Fn::Sub": lambda argument: self._sub(argument if isinstance(argument, str) else argument[0]),
            "Fn::If": lambda argument: self.resolve(
                argument[1] if self.condition(argument[0]) else argument[2]
            ),
            "Fn::Not": lambda argument: not self.resolve(argument[0]),
            "Fn::Equals": lambda argument: self.resolve(argument[0]) == self.resolve(argument[1]),
            "Fn::Join": lambda argument: str(argument[0]).join(
                str(self.resolve(item)) for item in argument[1]
            ),
            "Fn::Select": lambda argument: self.resolve(argument[1])[int(argument[0])],
            "Fn::Split": lambda argument: str(self.resolve(argument[1])).split(str(argument[0])),
            "Condition": lambda name: self.condition(name),
        }
