"""The plugin's configuration as typed values: :class:`EcrmSettings`.

:func:`parse_settings` turns Saleor's stored items into settings, given the programs
whose options to parse (each program's typed :class:`~.fields.ProgramOptions`).
It knows no program by name: :mod:`.config` passes the registered ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import (
    Any,
    ClassVar,
    Dict,
    Iterable,
    Mapping,
    Optional,
    Protocol,
    Sequence,
    Tuple,
    Type,
)

from django.utils.translation import gettext_lazy, gettext_noop

from .fields import (
    ConfigField,
    ConfigValue,
    FieldType,
    OptionsT,
    ProgramOptions,
    hours_parser,
    int_parser,
    parse_bool,
    parse_fields,
    parse_https_url,
    parse_optional_email,
    parse_optional_url,
    parse_text,
    parse_timezone,
)
from .preferences.sending_rules import (
    ConsentMode,
    FrequencyCap,
    QuietHours,
    parse_consent_mode,
    parse_frequency_cap,
    parse_quiet_hours,
)
from .segments.abconfig import AbTests, parse_ab_tests
from .segments.conditions import SegmentConditions, parse_segment_conditions
from .segments.levels import EngagementThresholds


class ConfiguredProgram(Protocol):
    """What parsing needs of a program: its id and its options class."""

    id: ClassVar[str]
    Options: ClassVar[Type[ProgramOptions]]


# --- the plugin-wide fields ---------------------------------------------------------

GENERAL_FIELDS: Tuple[ConfigField, ...] = (
    ConfigField(
        "sender_name",
        gettext_lazy("Sender name"),
        gettext_lazy(
            "Name shown as the sender of every e-CRM email. Empty: the shop's name."
        ),
        "",
        parse_text,
    ),
    ConfigField(
        "sender_email",
        gettext_lazy("Sender address"),
        gettext_lazy(
            "Address the emails come from. Empty: the shop's default sender address."
        ),
        "",
        parse_optional_email,
    ),
    ConfigField(
        "reply_to",
        gettext_lazy("Reply-to address"),
        gettext_lazy(
            "Where customers' replies go. Empty: replies go to the sender address."
        ),
        "",
        parse_optional_email,
    ),
    ConfigField(
        "storefront_url",
        gettext_lazy("Storefront address"),
        gettext_lazy(
            "Web address of your storefront, used to build every link in the emails."
        ),
        "http://localhost:3000/",
        parse_https_url,
    ),
    ConfigField(
        "public_url",
        gettext_lazy("Public address of this Saleor server"),
        gettext_lazy(
            "Used for unsubscribe and preference links, e.g. https://api.shop.example/."
            " Empty: https:// and the site domain set in Saleor."
        ),
        "",
        parse_optional_url,
    ),
    ConfigField(
        "consent_mode",
        gettext_lazy("Marketing consent"),
        gettext_lazy(
            "Who may receive marketing emails: opt_in_only (people who opted in),"
            " soft_opt_in (also customers who ordered, EU soft opt-in), or everyone."
        ),
        ConsentMode.SOFT_OPT_IN,
        parse_consent_mode,
    ),
    ConfigField(
        "quiet_hours",
        gettext_lazy("Quiet hours"),
        gettext_lazy(
            "No marketing email between these hours, in the customer's time zone when"
            " known, else the shop's: 21-8. Emails wait until the end. Empty: none."
        ),
        "21-8",
        parse_quiet_hours,
    ),
    ConfigField(
        "frequency_cap",
        gettext_lazy("Marketing emails per customer"),
        gettext_lazy(
            "At most this many marketing emails per rolling number of days, e.g. 3/7."
            " Further emails are delayed, not dropped; cart reminders are exempt."
            " Empty: no cap."
        ),
        "3/7",
        parse_frequency_cap,
    ),
    ConfigField(
        "shop_timezone",
        gettext_lazy("Shop time zone"),
        gettext_lazy(
            "Time zone of the shop (e.g. Europe/Paris), used for sending hours."
        ),
        "UTC",
        parse_timezone,
    ),
    ConfigField(
        "max_attempts",
        gettext_lazy("Delivery attempts"),
        gettext_lazy(
            "How many times an email is tried when it fails temporarily (a 4xx reply"
            " to the email, an error in its template). Time while the mail provider"
            " is down does not count: sending pauses instead."
        ),
        "5",
        int_parser(1, 20, gettext_noop("attempts")),
    ),
    ConfigField(
        "retry_hours",
        gettext_lazy("Retry failed deliveries for (hours)"),
        gettext_lazy(
            "An email still failing this long after its first failure is marked"
            " failed, however few attempts it had (e.g. 48; 0.5 is half an hour)."
        ),
        "48",
        hours_parser(0.1, 24 * 14),
    ),
    ConfigField(
        "retry_delay_seconds",
        gettext_lazy("First retry after (seconds)"),
        gettext_lazy(
            "Wait before the first retry; each further retry waits twice as long."
        ),
        "60",
        int_parser(1, 86400, gettext_noop("seconds")),
    ),
    # engagement tracking (saleor_ecrm_plugin.engagement)
    ConfigField(
        "track_clicks",
        gettext_lazy("Track clicks"),
        gettext_lazy(
            "Links in marketing emails go through this server, which records the"
            " click and sends the customer on at once. Unsubscribe and preference"
            " links are never tracked."
        ),
        True,
        parse_bool,
        FieldType.BOOLEAN,
    ),
    ConfigField(
        "track_transactional_clicks",
        gettext_lazy("Track clicks in transactional emails"),
        gettext_lazy(
            "Also track the links of transactional emails (e.g. the order"
            " confirmation's suggestions)."
        ),
        False,
        parse_bool,
        FieldType.BOOLEAN,
    ),
    ConfigField(
        "track_opens",
        gettext_lazy("Track opens"),
        gettext_lazy(
            "Add an invisible image to each tracked email to count opens. Opens by"
            " Apple Mail Privacy Protection are counted apart. In the EU, this may"
            " need the customer's consent: off by default."
        ),
        False,
        parse_bool,
        FieldType.BOOLEAN,
    ),
    ConfigField(
        "click_attribution_days",
        gettext_lazy("Attribution by click (days)"),
        gettext_lazy(
            "An order is credited to the last email its customer clicked within this"
            " many days before ordering (clicks by link scanners excluded). 0: none."
        ),
        "5",
        int_parser(0, 90, gettext_noop("days")),
    ),
    # --- segments and A/B tests (segments/levels.py, conditions.py, abconfig.py)
    ConfigField(
        "engagement_window_days",
        gettext_lazy("Engagement: window (days)"),
        gettext_lazy(
            "Days of opens and clicks the engagement levels look at; an address with"
            " no real open or click for this long is inactive (default 180)."
        ),
        "180",
        int_parser(30, 730, gettext_noop("days")),
    ),
    ConfigField(
        "engagement_active_open_rate",
        gettext_lazy("Engagement: active from (% opened)"),
        gettext_lazy(
            "Share of the emails received in the window an address must open, and"
            " click at least one, to be active (default 30)."
        ),
        "30",
        int_parser(1, 100, gettext_noop("%")),
    ),
    ConfigField(
        "engagement_super_open_rate",
        gettext_lazy("Engagement: super-active from (% opened)"),
        gettext_lazy(
            "Share of the emails received an address must open to be super-active;"
            " it must also click and buy after a click (default 80)."
        ),
        "80",
        int_parser(1, 100, gettext_noop("%")),
    ),
    ConfigField(
        "engagement_min_emails",
        gettext_lazy("Engagement: emails needed for a rate"),
        gettext_lazy(
            "Emails an address must have received in the window before it can be"
            " active or super-active (default 3)."
        ),
        "3",
        int_parser(1, 100, gettext_noop("emails")),
    ),
    ConfigField(
        "segment_conditions",
        gettext_lazy("Segments: conditions per program step"),
        gettext_lazy(
            "Send a program (or one step) only to some segments, e.g."
            " 'abandoned_checkout/step3: engagement=active,super_active;"
            " win_back: rfm=champions,loyal'. Others are skipped (reason: segment)."
            " Empty: everyone."
        ),
        "",
        parse_segment_conditions,
    ),
    ConfigField(
        "ab_tests",
        gettext_lazy("A/B tests"),
        gettext_lazy(
            'A JSON list of tests, e.g. [{"id": "t1", "program":'
            ' "abandoned_checkout", "step": "step1", "variants":'
            ' [{"name": "A"}, {"name": "B", "subject": "..."}]}].'
            " See the README. Empty: none."
        ),
        "",
        parse_ab_tests,
    ),
)


@dataclass(frozen=True)
class EcrmSettings:
    """Typed configuration. ``programs`` maps a program id to its typed options."""

    sender_name: str = ""
    sender_email: str = ""
    reply_to: str = ""
    storefront_url: str = "http://localhost:3000/"
    public_url: str = ""
    consent_mode: str = ConsentMode.SOFT_OPT_IN
    quiet_hours: Optional[QuietHours] = None
    frequency_cap: Optional[FrequencyCap] = None
    shop_timezone: str = "UTC"
    max_attempts: int = 5
    retry_delay_seconds: int = 60
    retry_hours: float = 48.0
    track_clicks: bool = True
    track_transactional_clicks: bool = False
    track_opens: bool = False
    click_attribution_days: int = 5
    engagement_window_days: int = 180
    engagement_active_open_rate: int = 30
    engagement_super_open_rate: int = 80
    engagement_min_emails: int = 3
    segment_conditions: SegmentConditions = field(default_factory=SegmentConditions)
    ab_tests: AbTests = field(default_factory=AbTests)
    programs: Mapping[str, ProgramOptions] = field(default_factory=dict)

    @property
    def engagement_thresholds(self) -> EngagementThresholds:
        return EngagementThresholds(
            window_days=self.engagement_window_days,
            active_open_rate=self.engagement_active_open_rate / 100,
            super_open_rate=self.engagement_super_open_rate / 100,
            min_emails=self.engagement_min_emails,
        )

    def program(self, program_id: str) -> Mapping[str, Any]:
        """A program's options as a mapping (field name -> value), for callers that
        predate the typed options; new code uses :meth:`options`."""
        options = self.programs.get(program_id)
        return dict(vars(options)) if options is not None else {}

    def options(self, program_id: str, options_class: Type[OptionsT]) -> OptionsT:
        """The typed options of ``program_id`` (its defaults if not parsed here)."""
        options = self.programs.get(program_id)
        if options is None:
            return options_class.defaults()
        if not isinstance(options, options_class):
            raise TypeError(
                f"options of {program_id!r} are a {type(options).__name__},"
                f" not a {options_class.__name__}"
            )
        return options


def parse_settings(
    items: Optional[Iterable[Mapping[str, Any]]],
    programs: Sequence[ConfiguredProgram],
) -> Tuple[EcrmSettings, Dict[str, str]]:
    """Turn Saleor's stored configuration into settings, plus errors keyed by field.

    Missing items take their default; a bad item keeps its default in the returned
    settings and is reported in the errors mapping (field name -> message).
    """
    stored: Dict[str, ConfigValue] = {
        str(item.get("name")): item.get("value") for item in items or ()
    }
    general, errors = parse_fields(GENERAL_FIELDS, stored)
    options: Dict[str, ProgramOptions] = {}
    for program in programs:
        options[program.id], program_errors = program.Options.parse(stored)
        errors.update(program_errors)
    return EcrmSettings(programs=options, **general), errors
