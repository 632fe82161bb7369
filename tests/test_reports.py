"""The AI image usage report, its spreadsheet export, the dashboard summary, and the audit trail."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.models import ModelLogEntry

from wagtail_imagegen import jobs, reports, tasks
from wagtail_imagegen.governance import month_start
from wagtail_imagegen.models import GenerationJob, GenerationOutput

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status
REPORT = reverse("wagtail_imagegen:usage:index")


def add_job(user: Any = None, *, model: str = "gpt-image-1.5", status: str = Status.SUCCEEDED,
            actual: str | None = "0.040000", estimated: str = "0.050000", tokens: int = 1000, images: int = 1,
            created: datetime | None = None) -> GenerationJob:
    """A job as a worker leaves it: usage, actual cost and outputs recorded."""
    job = GenerationJob.objects.create(
        kind=GenerationJob.Kind.GENERATE, prompt="A test", provider="default", model=model, status=status,
        requested_by=user, estimated_cost=Decimal(estimated), actual_cost=None if actual is None else Decimal(actual),
        usage={"total_tokens": tokens, "output_image_tokens": tokens} if actual is not None else None,
    )
    GenerationOutput.objects.bulk_create(GenerationOutput(job=job, index=i, mime_type="image/png", sha256="0" * 64)
                                         for i in range(images))
    if created:
        GenerationJob.objects.filter(pk=job.pk).update(created_at=created)
    return job


@pytest.fixture
def usage(admin_user: Any, editor: Any) -> list[GenerationJob]:
    """Jobs of two users (a superuser's among them), two models and two months, in every state that matters for
    the cost."""
    last_month = month_start() - timezone.timedelta(days=3)
    return [
        add_job(admin_user, actual="0.011000", tokens=300),
        add_job(admin_user, actual="0.250000", tokens=4300, images=2),
        add_job(admin_user, model="gpt-image-1-mini", actual="0.002000", tokens=200),
        add_job(editor, actual="0.042000", tokens=1100, created=last_month),
        add_job(editor, status=Status.RUNNING, actual=None, estimated="0.070000"),  # counts its estimate
        add_job(editor, status=Status.FAILED, actual=None),  # never charged: counts nothing
    ]


def recorded_cost(job: GenerationJob) -> Decimal:
    if job.actual_cost is not None:
        return job.actual_cost
    return job.estimated_cost if job.status in GenerationJob.ACTIVE_STATUSES else Decimal(0)


def test_rows_group_by_user_month_and_model(usage, reviewer_client, admin_user):
    rows = list(reviewer_client.get(REPORT).context["object_list"])
    admin_rows = {(row["model"], row["month"]): row for row in rows if row["requested_by"] == admin_user.pk}
    this_month = month_start().strftime("%Y-%m")
    main = admin_rows[("gpt-image-1.5", this_month)]
    assert (main["jobs"], main["images"], main["tokens"], main["cost"]) == (2, 3, 4600, Decimal("0.261"))
    assert admin_rows[("gpt-image-1-mini", this_month)]["jobs"] == 1
    assert len(rows) == 4 and rows[-1]["month"] < this_month  # newest month first
    assert main["user"] == admin_user.get_username()
    table = reviewer_client.get(REPORT).content.decode()
    assert re.search(rf"<td[^>]*>\s*{admin_user.get_username()}\s*</td>", table)
    assert "US$0.261" in table and "4 rows" in table


def test_the_totals_equal_the_sum_of_the_jobs_recorded_costs(usage, reviewer_client):
    response = reviewer_client.get(REPORT)
    totals = response.context["totals"]
    assert totals["cost"] == sum(recorded_cost(job) for job in usage) == Decimal("0.375")
    assert sum(row["cost"] for row in response.context["object_list"]) == totals["cost"]
    assert (totals["jobs"], totals["images"], totals["tokens"]) == (6, 7, 5900)
    assert "In all: 6 jobs, 7 images, 5,900 tokens, US$0.375." in response.content.decode()


def test_filtering_by_date_keeps_the_totals_in_step(usage, reviewer_client):
    start = month_start().date().isoformat()
    response = reviewer_client.get(REPORT, {"created_at_from": start})
    assert response.context["totals"]["jobs"] == 5
    assert response.context["totals"]["cost"] == sum(recorded_cost(job) for job in usage[:3] + usage[4:])


def test_xlsx_export_opens_with_a_row_per_group(usage, reviewer_client, admin_user):
    response = reviewer_client.get(REPORT, {"export": "xlsx"})
    assert response["Content-Disposition"].startswith('attachment; filename="ai-image-usage.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Month", "User", "Model", "Jobs", "Images", "Tokens", "Cost (USD)")
    assert len(rows) == 5
    assert sum(Decimal(str(row[6])) for row in rows[1:]) == Decimal("0.375")
    assert (month_start().strftime("%Y-%m"), admin_user.get_username(), "gpt-image-1.5", 2, 3, 4600) in [
        row[:6] for row in rows]


def test_csv_export_parses(usage, reviewer_client):
    response = reviewer_client.get(REPORT, {"export": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 4 and set(rows[0]) == {"Month", "User", "Model", "Jobs", "Images", "Tokens", "Cost (USD)"}
    assert sum(Decimal(row["Cost (USD)"]) for row in rows) == Decimal("0.375")


def test_the_report_takes_the_same_queries_for_6_or_60_jobs(usage, reviewer_client, admin_user, editor,
                                                           django_assert_num_queries):
    reviewer_client.get(REPORT)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        reviewer_client.get(REPORT)
    for index in range(54):
        add_job(admin_user if index % 2 else editor, model=f"model-{index % 9}")
    with django_assert_num_queries(len(few)):
        reviewer_client.get(REPORT)


def test_only_superusers_and_the_view_permission_see_the_report(usage, client, editor):
    client.force_login(editor)
    assert client.get(REPORT).status_code == 302  # Wagtail's "no permission" redirect
    editor.groups.first().permissions.add(Permission.objects.get(codename="view_generationjob"))
    assert client.get(REPORT).status_code == 200


def test_the_report_is_in_the_reports_menu(rf, reviewer):
    items = [fn() for fn in hooks.get_hooks("register_reports_menu_item")]
    usage_item = next(item for item in items if item.name == "imagegen-usage")
    request = rf.get("/admin/")
    request.user = reviewer
    assert usage_item.url == REPORT and usage_item.is_shown(request)


def test_dashboard_shows_jobs_running_and_spend_against_the_budget(usage, reviewer_client, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "BUDGETS": {"SITE": 50}}
    html = reviewer_client.get(reverse("wagtailadmin_home")).content.decode()
    assert "1 AI image job running" in html
    assert "US$0.333 spent this month" in html and "of a budget of US$50.00" in html


def test_editors_see_their_own_figures_on_the_dashboard(usage, client, editor, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "BUDGETS": {"PER_USER": 5}}
    client.force_login(editor)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "1 AI image job running" in html
    assert "you spent US$0.070 this month" in html and "of a budget of US$5.00" in html


# --- the audit trail ---------------------------------------------------------------------------------


def messages_for(image: Any) -> list[tuple[str, str, str]]:
    return [(entry.action, entry.message, entry.user_display_name)
            for entry in ModelLogEntry.objects.for_instance(image).order_by("pk")]


@pytest.mark.usefixtures("use_fake_api")
def test_generation_keep_and_variant_change_are_in_the_images_history(make_image, editor, editorial):
    source = make_image("Hero", 128, 128, collection=editorial)
    job = jobs.submit_edit([source], "Make it a snowy winter scene", label="winter", quality="low", user=editor)
    tasks.run_job(str(job.pk))
    output = job.outputs.get()
    jobs.keep(output, user=editor)
    name = editor.get_username()
    assert messages_for(output.image) == [
        (reports.GENERATE, "Generated with AI (gpt-image-2.6-flare): “Make it a snowy winter scene”", name),
        (reports.KEEP, "Kept this AI image", name),
    ]
    assert messages_for(source) == [(reports.VARIANT, f"Set the “winter” variant to “{output.image.title}”", name)]


@pytest.mark.usefixtures("use_fake_api")
def test_a_discard_is_in_the_images_history(editor, editorial):
    job = jobs.submit_generation("A red bicycle", quality="low", user=editor)
    tasks.run_job(str(job.pk))
    output = jobs.discard(job.outputs.get(), user=editor)
    assert [action for action, _message, _user in messages_for(output.image)] == [reports.GENERATE, reports.DISCARD]


def test_the_log_actions_are_registered_for_wagtails_history_filters():
    from wagtail.log_actions import registry

    assert {reports.GENERATE, reports.KEEP, reports.DISCARD, reports.VARIANT} <= {
        action for action, _label in registry.get_choices()}
