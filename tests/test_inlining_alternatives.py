"""CSS inlining of an HTML alternative keeps Django's own alternative type: plain
tuples on Django 3.0 (Saleor 2.10), ``EmailAlternative`` named tuples on Django
5.2 (Saleor 3.21), whose ``.content`` the MIME message is built from."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives

from saleor_ecrm_plugin.inlining import inline_message_css

HTML = (
    "<html><head><style>p { color: red }</style></head>"
    "<body><p>Your cart</p></body></html>"
)


def test_the_inlined_alternative_is_djangos_own_type_and_builds_a_message():
    message = EmailMultiAlternatives(
        "Your cart", "Your cart", "shop@example.org", ["ada@example.org"]
    )
    message.attach_alternative(HTML, "text/html")
    kind = type(message.alternatives[0])

    inline_message_css(message)

    [alternative] = message.alternatives
    assert type(alternative) is kind
    assert alternative[1] == "text/html"
    assert '<p style="color: red' in alternative[0]
    assert b'style="color: red' in message.message().as_bytes()
