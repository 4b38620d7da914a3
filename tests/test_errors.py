"""One error family (issue 8): a base class, specific subclasses, InputError also a ValueError,
every error picklable with its fields, so batch runs can pass them between processes."""
import pickle

import pytest

from greenal.errors import DataError, GreenalError, InputError, MissingTool, RegistryError, StandardsError


@pytest.mark.parametrize("error", [
    InputError("plant.yaml", "electrolysis.ac_kwh_per_t (line 12)", 13.2, "AC electricity between 11500 and 17500",
               "13.2 x 1000 = 13200 would fit"),
    DataError("inventories/x.yaml", "exchanges[0].unit", "kg", "one of ['t']"),
    StandardsError("methods/schemes/x.yaml", "rules[0]", "?", "a rule"),
    RegistryError("serials GEC1 .. GEC9 already claimed by declaration 7 of org A (2024)"),
    MissingTool("install chromium"),
])
def test_errors_are_one_family_and_survive_pickling(error):
    copy = pickle.loads(pickle.dumps(error))
    assert isinstance(copy, GreenalError) and type(copy) is type(error)
    assert str(copy) == str(error) and copy.exit_status == error.exit_status
    assert vars(copy) == vars(error)


def test_input_error_is_a_value_error_and_data_error_is_not_input():
    assert issubclass(InputError, ValueError) and not issubclass(DataError, InputError)
    assert MissingTool.exit_status == 3 and InputError.exit_status == 2
