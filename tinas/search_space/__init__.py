"""The TiNAS search space: per-dataset choice lists, subnet configurations, sampling, and the
conversion of a configuration to the cost model's layer list. Pure Python (no torch): the search
samples and costs thousands of subnets."""

from tinas.search_space.config import BlockChoice, SubnetConfig
from tinas.search_space.spaces import SPACES, DatasetSpace, get_space
from tinas.search_space.choices import block_choice_list, net_choice_list, sample_subnet
from tinas.search_space.to_network import to_network

__all__ = ["BlockChoice", "DatasetSpace", "SPACES", "SubnetConfig", "block_choice_list", "get_space",
           "net_choice_list", "sample_subnet", "to_network"]
