"""lucid.nn: Module, Parameter, containers and layers, with PyTorch's names and state keys."""

from lucid.nn.containers import ModuleDict, ModuleList, Sequential
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter
