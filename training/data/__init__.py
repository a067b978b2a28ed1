"""GeoText-1652 format readers, the synthetic dataset generator (`geotext-data`).

    from training.data import load_train, load_test, write_dataset
    summary = write_dataset("out/synth", preset="tiny", seed=0)
    train = load_train("out/synth/train.json", "out/synth/images")
"""
from training.data.geotext1652 import (DataFormatError, TestRecord, TrainRecord, building_id, building_index,
                                       building_labels, load_test, load_train)
from training.data.synth import PRESETS, SynthConfig, write_dataset

__all__ = ["DataFormatError", "PRESETS", "SynthConfig", "TestRecord", "TrainRecord", "building_id",
           "building_index", "building_labels", "load_test", "load_train", "write_dataset"]
