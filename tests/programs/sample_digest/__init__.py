"""A complete program added the way a project adds one: this package (program,
typed options with their dashboard fields, a hook, a periodic scan) plus its
template (``tests/templates/templated_email/ecrm_test/sample_digest.email``) and
one line in ``ECRM_PROGRAMS``. No file of the plugin knows it.

A weekly digest for the newsletter's confirmed subscribers (marketing, category
``newsletter``): the scan plans one per subscriber and ISO week; the re-check skips
an address that left the newsletter since.
"""

from datetime import timedelta

from saleor_ecrm_plugin.programs.manifest import PeriodicScan, ProgramPackage

MANIFEST = ProgramPackage(
    programs=(".program:SampleDigestProgram",),
    scans=(
        PeriodicScan(
            program="test_sample_digest",
            method="plan_digests",
            beat_entry="test-sample-digest",
            every=timedelta(hours=1),
            interval_setting="sample_digest_interval",
        ),
    ),
)
