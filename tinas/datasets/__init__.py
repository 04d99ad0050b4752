"""Datasets: loaders for the real formats (CIFAR-10 python batches, UCI HAR folders) and the embedded
default (scikit-learn's handwritten digits), all returning HWC float32 in [-1, 1) with integer labels."""

from tinas.datasets.base import Dataset, DatasetError, load_dataset

__all__ = ["Dataset", "DatasetError", "load_dataset"]
