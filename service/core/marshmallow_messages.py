"""marshmallow's built-in validation messages, listed so that extraction puts them in the catalogs.

service.core.i18n translates them at run time; tests/test_i18n.py checks this list is complete.
"""


def N_(text: str) -> str:  # noqa: N802 - the usual name of gettext's no-op marker
    return text


MESSAGES = [
    N_('"{input}" cannot be formatted as a date.'),
    N_('"{input}" cannot be formatted as a {obj_type}.'),
    N_("Field may not be null."),
    N_("Invalid input type."),
    N_("Invalid input."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Longer than maximum length {max}."),
    N_("Missing data for required field."),
    N_("Must be equal to {other}."),
    N_("Must be one of: {choices}."),
    N_("Must be {max_op} {{max}}."),
    N_("Must be {min_op} {{min}} and {max_op} {{max}}."),
    N_("Must be {min_op} {{min}}."),
    N_("Not a valid IP address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IPv6 interface."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid email address."),
    N_("Not a valid integer."),
    N_("Not a valid list."),
    N_("Not a valid mapping type."),
    N_("Not a valid number."),
    N_("Not a valid period of time."),
    N_("Not a valid string."),
    N_("Not a valid tuple."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid {awareness} {obj_type}."),
    N_("Not a valid {obj_type}."),
    N_("Number too large."),
    N_("One or more of the choices you made was in: {values}."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_("Shorter than minimum length {min}."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("String does not match expected pattern."),
    N_("Unknown field."),
    N_("greater than"),
    N_("greater than or equal to"),
    N_("less than"),
    N_("less than or equal to"),
    N_("{input!r} cannot be formatted as a timedelta."),
]
