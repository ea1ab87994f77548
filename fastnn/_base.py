"""get_params/set_params and repr in scikit-learn's conventions, without importing it.

scikit-learn's ``clone``, ``Pipeline`` and ``GridSearchCV`` need only these
methods and an ``__init__`` that stores each argument unchanged under its
own name.
"""

import functools
import inspect
import types


class ParamsMixin:
    """Estimator parameters read from the ``__init__`` signature."""

    @classmethod
    def _get_param_names(cls):
        signature = inspect.signature(cls.__init__)
        names = []
        for name, param in signature.parameters.items():
            if name == "self":
                continue
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise TypeError("%s.__init__ must not take *args or **kwargs" % cls.__name__)
            names.append(name)
        return sorted(names)

    def get_params(self, deep=True):
        """Return the constructor parameters as a dict."""
        params = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                for key, sub in value.get_params().items():
                    params["%s__%s" % (name, key)] = sub
            params[name] = value
        return params

    def set_params(self, **params):
        """Set constructor parameters; return self."""
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    "invalid parameter %r for %s; valid parameters are: %s"
                    % (name, type(self).__name__, ", ".join(valid))
                )
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {
            name: param.default
            for name, param in inspect.signature(type(self).__init__).parameters.items()
        }
        changed = []
        for name in self._get_param_names():
            value = getattr(self, name, None)
            default = defaults.get(name)
            try:
                same = value is default or bool(value == default)
            except (TypeError, ValueError):  # arrays and other odd values
                same = False
            if not same:
                changed.append("%s=%r" % (name, value))
        return "%s(%s)" % (type(self).__name__, ", ".join(changed))


class AvailableIf:
    """Method descriptor that hides the method where ``check(instance)`` raises AttributeError.

    ``hasattr(estimator, "partial_fit")`` is then False for settings that
    cannot use the method, which is how scikit-learn's tools (and its
    ``available_if``) tell whether an estimator supports it.
    """

    def __init__(self, check, method):
        self.check = check
        self.method = method
        functools.update_wrapper(self, method)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self.method
        self.check(instance)
        return types.MethodType(self.method, instance)


def available_if(check):
    """Decorate a method so that it exists only where ``check(instance)`` does not raise."""
    return functools.partial(AvailableIf, check)
