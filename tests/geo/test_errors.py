import pytest

import urbanrural as ur
from urbanrural.geo import errors


@pytest.mark.parametrize("cls, builtin", [
    (ur.CRSError, ValueError), (ur.InputFileError, OSError), (ur.DataError, ValueError),
    (ur.NodataError, ValueError), (ur.ConfigError, ValueError),
    (ur.OutputExistsError, FileExistsError), (ur.MissingDependencyError, ImportError),
])
def test_every_error_is_also_a_builtin(cls, builtin):
    assert issubclass(cls, ur.UrbanRuralError)
    assert issubclass(cls, builtin)


def test_all_public_errors_exported():
    for name in errors.__all__:
        assert getattr(ur, name) is getattr(errors, name)
