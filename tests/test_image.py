import numpy as np
import pytest

from chroma import Image
from chroma.errors import ChromaValueError


def test_defaults_and_channel_names():
    img = Image(np.zeros((2, 3, 4)))
    assert img.pixels.dtype == np.float32
    assert img.channels == ["R", "G", "B", "A"]
    assert (img.width, img.height, img.nchannels) == (3, 2, 4)
    assert img.colorspace == "ACEScg"


def test_rgb_and_with_rgb_keep_other_channels(make_image):
    img = make_image()
    rgb = img.rgb * 2
    out = img.with_rgb(rgb)
    np.testing.assert_array_equal(out.pixels[:, :, :3], rgb)
    np.testing.assert_array_equal(out.pixels[:, :, 3:], img.pixels[:, :, 3:])
    assert out.channels == img.channels


def test_bad_shapes_and_names_are_user_errors():
    with pytest.raises(ChromaValueError, match="channel names"):
        Image(np.zeros((2, 2, 5)), ["R", "G"])
    with pytest.raises(ChromaValueError, match="height x width"):
        Image(np.zeros(5))
    with pytest.raises(ChromaValueError, match="no channel 'Z'"):
        Image(np.zeros((2, 2, 3))).index("Z")
