"""Split the raw data set into a train and a test set."""

import pandas as pd
from sklearn.model_selection import train_test_split

from statisfactory import Artifact, Craft


@Craft()
def split(raw: Artifact, test_size: float = 0.25, seed: int = 0) -> Artifact.of("train", "test"):
    """A random split; the same seed always gives the same sets (and the same file names)."""
    train, test = train_test_split(raw, test_size=test_size, random_state=seed)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def features_and_target(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The ten clinical features, and the disease progression one year later."""
    return frame.drop(columns="target"), frame["target"]
