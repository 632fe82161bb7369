"""Budgets, per-user submissions per minute, and the cap on concurrent API calls."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wagtail_imagegen import checks, governance, jobs, ratelimits, tasks
from wagtail_imagegen.models import BudgetLock, ConcurrencySlot, GenerationJob, RateLimitState

from .test_reports import add_job

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status
# gpt-image-1.5, 1024x1024, low quality: 272 output tokens at $32/M plus the prompt.
LOW = {"quality": "low", "size": "1024x1024"}


def configure(settings: Any, **values: Any) -> None:
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, **values}


def one_low_image() -> Decimal:
    return jobs.estimate_cost("A red bicycle", **LOW)


# --- spend and budgets -------------------------------------------------------------------------------


def test_spend_counts_actual_costs_estimates_while_running_and_nothing_for_failures(admin_user):
    add_job(admin_user, actual="0.100000")
    add_job(admin_user, status=Status.QUEUED, actual=None, estimated="0.020000")
    add_job(admin_user, status=Status.FAILED, actual=None)
    add_job(admin_user, status=Status.CANCELLED, actual=None)
    add_job(admin_user, actual="5.000000", created=governance.month_start() - timezone.timedelta(seconds=1))
    assert governance.total_spend(governance.this_month()) == Decimal("0.12")


def test_a_submission_over_the_site_budget_is_refused_with_what_is_left(settings, admin_user):
    add_job(admin_user, actual="9.970000")
    configure(settings, BUDGETS={"SITE": 10})
    assert jobs.estimate_cost("A red bicycle", **LOW) < Decimal("0.03") < jobs.estimate_cost(
        "A red bicycle", quality="max", size="1536x1024")
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_generation("A red bicycle", user=admin_user, quality="max", size="1536x1024")
    message = exc_info.value.messages[0]
    assert exc_info.value.code == "budget_exceeded"
    assert "only US$0.03 is left of this month's budget for AI images for the site (US$10.00)" in message
    assert GenerationJob.objects.count() == 1
    jobs.submit_generation("A red bicycle", user=admin_user, **LOW)  # a cheap one still fits


def test_last_months_spend_does_not_count(settings, admin_user):
    add_job(admin_user, actual="50.000000", created=governance.month_start() - timezone.timedelta(days=1))
    configure(settings, BUDGETS={"SITE": 10})
    jobs.submit_generation("A red bicycle", user=admin_user, **LOW)


def test_per_user_budgets_with_a_named_override(settings, admin_user, editor):
    add_job(editor, actual="1.000000")
    configure(settings, BUDGETS={"PER_USER": 1, "USERS": {admin_user.get_username(): 100}})
    with pytest.raises(ValidationError, match="budget for AI images for you"):
        jobs.submit_generation("A red bicycle", user=editor, collection="Editorial", **LOW)
    jobs.submit_generation("A red bicycle", user=admin_user, **LOW)  # admin's own 100 applies


def test_a_group_budget_is_shared_by_its_members(settings, editor, django_user_model):
    colleague = django_user_model.objects.create_user("colleague", password="x")  # noqa: S106
    colleague.groups.add(editor.groups.first())
    outsider = django_user_model.objects.create_user("outsider", password="x")  # noqa: S106
    add_job(colleague, actual="0.990000")
    add_job(outsider, actual="50.000000")  # not in the group: does not count against it
    configure(settings, BUDGETS={"GROUPS": {"AI editors": 1}})
    budgets = governance.budgets_for(editor)
    assert [(b.key, b.spent, b.remaining) for b in budgets] == [("group0", Decimal("0.99"), Decimal("0.01"))]
    with pytest.raises(ValidationError, match="the group “AI editors”"):
        jobs.submit_generation("A red bicycle", user=editor, collection="Editorial", quality="medium")
    assert governance.budgets_for(outsider) == []


def test_the_tightest_budget_refuses(settings, editor):
    Group.objects.create(name="Rich").user_set.add(editor)
    configure(settings, BUDGETS={"SITE": 1000, "PER_USER": 0, "GROUPS": {"Rich": 1000}})
    with pytest.raises(ValidationError, match="for you"):
        jobs.submit_generation("A red bicycle", user=editor, collection="Editorial", **LOW)


def test_scripts_without_a_user_answer_to_the_site_budget_only(settings):
    configure(settings, BUDGETS={"PER_USER": 0, "SITE": 0})
    with pytest.raises(ValidationError, match="for the site"):
        jobs.submit_generation("A red bicycle", **LOW)
    configure(settings, BUDGETS={"PER_USER": 0})
    jobs.submit_generation("A red bicycle", **LOW)


def test_the_cli_shows_the_budget_refusal(settings, admin_user):
    configure(settings, BUDGETS={"SITE": 0})
    with pytest.raises(CommandError, match="budget for AI images for the site"):
        call_command("imagegen", "generate", "A red bicycle", "--quality", "low", "--user", admin_user.username)


def test_exactly_what_is_left_still_fits(settings, admin_user):
    configure(settings, BUDGETS={"SITE": float(one_low_image())})
    jobs.submit_generation("A red bicycle", user=admin_user, **LOW)
    with pytest.raises(ValidationError):
        jobs.submit_generation("A red bicycle", user=admin_user, **LOW)


# --- per-user submissions per minute -----------------------------------------------------------------


def test_each_user_may_submit_so_many_a_minute(settings, admin_user, editor):
    configure(settings, USER_SUBMISSIONS_PER_MINUTE=3)
    for _ in range(3):
        jobs.submit_generation("A red bicycle", user=admin_user, **LOW)
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_generation("A red bicycle", user=admin_user, **LOW)
    assert exc_info.value.code == "rate_limited"
    assert "3 requests for AI images in the last minute" in exc_info.value.messages[0]
    assert "Try again in 20 s" in exc_info.value.messages[0]
    jobs.submit_generation("A red bicycle", user=editor, collection="Editorial", **LOW)  # a limit per user


def test_a_refused_submission_does_not_use_up_the_rate(settings, admin_user):
    configure(settings, USER_SUBMISSIONS_PER_MINUTE=1, BUDGETS={"SITE": 0})
    with pytest.raises(ValidationError, match="budget"):
        jobs.submit_generation("A red bicycle", user=admin_user, **LOW)
    configure(settings, USER_SUBMISSIONS_PER_MINUTE=1, BUDGETS={})
    jobs.submit_generation("A red bicycle", user=admin_user, **LOW)


def test_the_rate_frees_up_as_time_passes(settings, admin_user, monkeypatch):
    configure(settings, USER_SUBMISSIONS_PER_MINUTE=2)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    jobs.submit_generation("One", user=admin_user, **LOW)
    jobs.submit_generation("Two", user=admin_user, **LOW)
    with pytest.raises(ValidationError):
        jobs.submit_generation("Three", user=admin_user, **LOW)
    monkeypatch.setattr(time, "time", lambda: now + 31)
    jobs.submit_generation("Three", user=admin_user, **LOW)


def test_a_budget_check_locks_the_budget_row_and_touches_no_rate_limit(settings, admin_user):
    configure(settings, BUDGETS={"SITE": 10}, USER_SUBMISSIONS_PER_MINUTE=0)
    jobs.submit_generation("A red bicycle", user=admin_user, **LOW)
    with CaptureQueriesContext(connection) as queries:
        jobs.submit_generation("A red bicycle", user=admin_user, **LOW)  # the row exists now
    assert list(BudgetLock.objects.values_list("name", flat=True)) == [BudgetLock.NAME]
    assert not RateLimitState.objects.exists()
    if connection.features.has_select_for_update:  # SQLite locks the whole database instead
        assert any("FOR UPDATE" in query["sql"] and BudgetLock._meta.db_table in query["sql"] for query in queries)


# --- concurrent API calls ----------------------------------------------------------------------------


def test_slots_cap_the_calls_in_flight_and_free_on_release(settings):
    configure(settings, RATE_LIMITS={"default": {"CONCURRENT_REQUESTS": 2}})
    first, second = governance.acquire_slot("default", 60), governance.acquire_slot("default", 60)
    assert first and second and first.key != second.key
    assert governance.acquire_slot("default", 60) is None
    governance.release_slot(first)
    assert governance.acquire_slot("default", 60) is not None


def test_a_slot_held_by_a_dead_worker_frees_itself_after_its_hold(settings, monkeypatch):
    configure(settings, RATE_LIMITS={"default": {"CONCURRENT_REQUESTS": 1}})
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    stale = governance.acquire_slot("default", 10)
    monkeypatch.setattr(time, "time", lambda: now + 11)
    fresh = governance.acquire_slot("default", 10)
    assert fresh is not None
    governance.release_slot(stale)  # the late release of the dead worker frees nothing of the new holder
    assert governance.acquire_slot("default", 10) is None


def test_a_renewed_slot_stays_held_past_its_first_hold(settings):
    configure(settings, RATE_LIMITS={"default": {"CONCURRENT_REQUESTS": 1}})
    with governance.api_slot("default", 0.2) as held:
        held.renew(60)  # what the job's heartbeat does during a long call
        time.sleep(0.3)
        assert governance.acquire_slot("default", 60) is None
    assert governance.acquire_slot("default", 60) is not None  # released with its renewed expiry


def test_without_a_cap_every_call_may_go(settings):
    with governance.api_slot("default", 60) as free:
        assert free


def test_slots_are_rows_of_their_own_beside_the_rate_limits(settings):
    configure(settings, RATE_LIMITS={"default": {"CONCURRENT_REQUESTS": 2, "IMAGES_PER_MINUTE": 60}})
    slot = governance.acquire_slot("default", 60)
    assert ratelimits.reserve("default", 1, max_wait=60) is not None
    assert sorted(ConcurrencySlot.objects.values_list("key", flat=True)) == ["default:slot:0", "default:slot:1"]
    assert ConcurrencySlot.objects.get(pk=slot.key).expires == slot.expires
    assert list(RateLimitState.objects.values_list("key", flat=True)) == ["default:images"]


@pytest.mark.django_db(transaction=True)
def test_the_split_migration_moves_held_slots_and_drops_the_old_budget_row():
    before = [("wagtail_imagegen", "0005_view_all_jobs")]
    after = [("wagtail_imagegen", "0006_concurrency_slot_budget_lock")]
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps.get_model("wagtail_imagegen", "RateLimitState")
        old.objects.bulk_create([old(key="default:images", tat=5.0), old(key="default:slot:0", tat=7.5),
                                 old(key="user:1:submissions", tat=2.0), old(key="imagegen:budgets", tat=0.0)])
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert dict(RateLimitState.objects.values_list("key", "tat")) == {"default:images": 5.0, "user:1:submissions": 2.0}
    assert dict(ConcurrencySlot.objects.values_list("key", "expires")) == {"default:slot:0": 7.5}


@pytest.mark.usefixtures("use_fake_api")
def test_a_job_that_finds_every_slot_taken_waits_without_losing_an_attempt(settings, fake_api):
    configure(settings, RATE_LIMITS={"default": {"CONCURRENT_REQUESTS": 1}})
    held = governance.acquire_slot("default", 60)
    job = jobs.submit_generation("A red bicycle", **LOW)
    assert tasks.run_job(str(job.pk)) == "deferred"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.api_calls) == (Status.QUEUED, 0, 0)
    assert job.next_attempt_at > timezone.now()
    assert fake_api.image_calls == 0
    governance.release_slot(held)
    GenerationJob.objects.filter(pk=job.pk).update(next_attempt_at=None)
    assert tasks.run_job(str(job.pk)) == Status.SUCCEEDED
    assert governance.acquire_slot("default", 60) is not None  # the job gave its slot back


# --- settings checks ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("values", "code"), [
    ({"BUDGETS": {"MONTHLY": 5}}, "wagtail_imagegen.E023"),
    ({"BUDGETS": {"SITE": -1}}, "wagtail_imagegen.E024"),
    ({"BUDGETS": {"USERS": ["alice"]}}, "wagtail_imagegen.E015"),
    ({"BUDGETS": {"GROUPS": {"Editors": "lots"}}}, "wagtail_imagegen.E024"),
    ({"USER_SUBMISSIONS_PER_MINUTE": 0}, "wagtail_imagegen.E016"),
    ({"USER_SUBMISSIONS_PER_MINUTE": 2.5}, "wagtail_imagegen.E016"),
    ({"RATE_LIMITS": {"default": {"CONCURRENT_REQUESTS": 1.5}}}, "wagtail_imagegen.E022"),
    ({"RATE_LIMITS": {"default": {"CONCURRENT_REQUESTS": 0}}}, "wagtail_imagegen.E022"),
])
def test_settings_mistakes_are_named(settings, values, code):
    configure(settings, **values)
    assert code in [message.id for message in checks.check_settings()]


def test_good_governance_settings_pass_the_checks(settings):
    configure(settings, BUDGETS={"SITE": 500, "PER_USER": 25.5, "USERS": {"alice": 100}, "GROUPS": {"Ed": 0}},
              USER_SUBMISSIONS_PER_MINUTE=10,
              RATE_LIMITS={"default": {"IMAGES_PER_MINUTE": 60, "CONCURRENT_REQUESTS": 4}})
    assert [message.id for message in checks.check_settings()] == []
