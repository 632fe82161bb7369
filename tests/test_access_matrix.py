"""Who may see what: every admin URL and JSON endpoint of the app × seven roles, each cell an exact status,
and what each list, page and JSON answer shows (no foreign prompt, no rendition of an image one cannot choose).

The URLs come from the URLconf, so a new view fails `test_every_url_has_its_row` until it is given a row.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from wagtail.images.shortcuts import get_rendition_or_not_found
from wagtail.models import Collection, GroupCollectionPermission

from wagtail_imagegen import bulk, jobs
from wagtail_imagegen.catalog import JobSpec
from wagtail_imagegen.models import GenerationJob, GenerationOutput

from .conftest import grant

pytestmark = pytest.mark.django_db
NAMESPACE = "wagtail_imagegen"
ROLES = ("anonymous", "outsider", "owner", "colleague", "limited", "reviewer", "superuser")
PROMPT = "Put the red mug on a snowy table"
OWN_PROMPT = "A lighthouse of the colleague"


def statuses(anonymous, outsider, owner, colleague, limited, reviewer, superuser):
    return dict(zip(ROLES, (anonymous, outsider, owner, colleague, limited, reviewer, superuser), strict=True))


# Generating, for anyone who may generate.
GENERATORS = statuses(302, 403, 200, 200, 200, 403, 200)
# Lists of jobs and batches (the viewsets' index views): one's own, or everyone's for reviewers; the others get
# Wagtail's own refusal, a redirect to the dashboard.
LISTS = statuses(302, 302, 200, 200, 200, 200, 200)
# The owner's job or batch (sources and outputs in Products): others who may not see it get a 404. The
# viewsets' inspect views refuse as Wagtail does (a redirect); what the scripts fetch answers 403.
THE_OWNERS_PAGE = statuses(302, 302, 200, 404, 404, 200, 200)
THE_OWNERS = statuses(302, 403, 200, 404, 404, 200, 200)
# Acting on the owner's job: a reviewer who may see it may not act (403); the others do not know of it (404).
ACT_REDIRECT = statuses(302, 403, 302, 404, 404, 403, 302)
ACT_JSON = statuses(302, 403, 200, 404, 404, 403, 200)
ACT_NEW_JOB = statuses(302, 403, 201, 404, 404, 403, 201)
INVALID_FORM = statuses(302, 403, 400, 400, 400, 403, 400)
# A Wagtail report: refused users are redirected to the dashboard, as by Wagtail's own reports.
USAGE = statuses(302, 302, 302, 302, 302, 200, 200)
# The library's old addresses, redirected for everyone in the admin (the new address then decides).
MOVED = statuses(302, 301, 301, 301, 301, 301, 301)
# The mug's edit page's Variants section: for those who may edit the mug.
VARIANTS = statuses(302, 403, 200, 200, 403, 200, 200)
# "Describe with AI" on the mug: for those who may generate and edit the mug (back to its edit page).
DESCRIBE = statuses(302, 403, 302, 302, 403, 403, 302)

ESTIMATE_DATA = {"prompt": "A lighthouse", "size": "1024x1024", "quality": "low", "background": "auto",
                 "output_format": "png", "n": 1}
# (method, data, expected statuses) of every route, by "namespace:name".
ROWS = {
    "wagtail_imagegen:config": ("get", None, GENERATORS),
    "wagtail_imagegen:jsi18n": ("get", None, GENERATORS),
    "wagtail_imagegen:generate": ("get", None, GENERATORS),
    "wagtail_imagegen:modal": ("get", None, GENERATORS),
    "wagtail_imagegen:estimate": ("post", ESTIMATE_DATA, GENERATORS),
    "wagtail_imagegen:options": ("get", None, GENERATORS),
    "wagtail_imagegen:source_images": ("get", None, GENERATORS),
    "wagtail_imagegen:jobs:index": ("get", None, LISTS),
    "wagtail_imagegen:jobs:index_results": ("get", None, LISTS),
    "wagtail_imagegen:submit": ("post", {}, INVALID_FORM),
    "wagtail_imagegen:recent": ("get", None, GENERATORS),
    "wagtail_imagegen:jobs:inspect": ("get", None, THE_OWNERS_PAGE),
    "wagtail_imagegen:jobs:status": ("get", None, THE_OWNERS),
    "wagtail_imagegen:jobs:cancel": ("post", None, ACT_REDIRECT),
    "wagtail_imagegen:output_use": ("post", None, ACT_JSON),
    "wagtail_imagegen:output_discard": ("post", None, ACT_JSON),
    "wagtail_imagegen:output_refine": ("post", {"prompt": "Make it blue"}, ACT_NEW_JOB),
    "wagtail_imagegen:output_final": ("post", None, ACT_NEW_JOB),
    "wagtail_imagegen:image_variants": ("get", None, VARIANTS),
    "wagtail_imagegen:alt_text": ("get", None, VARIANTS),
    "wagtail_imagegen:describe_image": ("post", None, DESCRIBE),
    "wagtail_imagegen:batches:index": ("get", None, LISTS),
    "wagtail_imagegen:batches:index_results": ("get", None, LISTS),
    "wagtail_imagegen:batches:inspect": ("get", None, THE_OWNERS_PAGE),
    "wagtail_imagegen:batches:grid": ("get", None, THE_OWNERS),
    "wagtail_imagegen:batches:status": ("get", None, THE_OWNERS),
    "wagtail_imagegen:batches:approve_all": ("post", None, ACT_REDIRECT),
    "wagtail_imagegen:batches:retry": ("post", None, ACT_REDIRECT),
    "wagtail_imagegen:batches:output_approve": ("post", None, ACT_REDIRECT),
    "wagtail_imagegen:batches:output_reject": ("post", None, ACT_REDIRECT),
    "wagtail_imagegen:usage:index": ("get", None, USAGE),
    "wagtail_imagegen:usage:index_results": ("get", None, USAGE),
    "wagtail_imagegen:moved": ("get", None, MOVED),
}


def patterns(resolver: URLResolver, namespace: str) -> dict[str, URLPattern]:
    """The routes by full name, nested namespaces (the viewsets') included."""
    found: dict[str, URLPattern] = {}
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            found.update(patterns(entry, f"{namespace}:{entry.namespace}" if entry.namespace else namespace))
        else:
            found[f"{namespace}:{entry.name}"] = entry
    return found


def routes() -> dict[str, URLPattern]:
    return patterns(get_resolver().namespace_dict[NAMESPACE][1], NAMESPACE)


def address(name: str, world: dict) -> str:
    """The route with the ids of the owner's job, output and the mug."""
    kwargs = {}
    for key, converter in routes()[name].pattern.converters.items():
        if type(converter).__name__ == "PathConverter":
            kwargs[key] = "batches/"
        elif type(converter).__name__ == "UUIDConverter":
            kwargs[key] = world["batch"].pk if "batch" in name else world["job"].pk
        elif "image" in key:
            kwargs[key] = world["mug"].pk
        else:
            kwargs[key] = world["output"].pk
    return reverse(name, kwargs=kwargs)


@pytest.fixture
def world(django_user_model, make_image, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "RATE_LIMITS": {}}
    root = Collection.get_first_root_node()
    ai, products = root.add_child(name="AI images"), root.add_child(name="Products")
    both = {ai: ("add", "choose", "change"), products: ("add", "choose", "change")}
    users = {name: django_user_model.objects.create_user(name, password="pw")  # noqa: S106
             for name in ROLES[1:-1]}
    users["superuser"] = django_user_model.objects.create_superuser("superuser", password="pw")  # noqa: S106
    grant(users["outsider"])
    grant(users["owner"], "generate_image", collections=both)
    grant(users["colleague"], "generate_image", collections=both)
    grant(users["limited"], "generate_image", collections={ai: ("add", "choose", "change")})
    grant(users["reviewer"], "view_all_jobs", collections={ai: ("choose",), products: ("choose", "change")})
    mug = make_image("Red mug", collection=products)
    recipe = bulk.Recipe(prompt=PROMPT, label="winter", spec=JobSpec.from_values({"quality": "low"}))
    batch = bulk.submit_batch([mug], recipe, user=users["owner"])
    job = batch.jobs.get()
    output = GenerationOutput.objects.create(job=job, index=0, image=make_image("Snowy mug", collection=products),
                                             mime_type="image/png", sha256="0" * 64,
                                             digital_source_type=job.digital_source_type)
    GenerationJob.objects.filter(pk=job.pk).update(status=GenerationJob.Status.SUCCEEDED)
    own = jobs.submit_generation(OWN_PROMPT, user=users["colleague"], collection=ai)
    return {"users": users, "mug": mug, "batch": batch, "job": job, "output": output, "own": own,
            "ai": ai, "products": products}


def client_for(role: str, world: dict) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world["users"][role])
    return client


def test_every_url_has_its_row():
    assert set(routes()) == set(ROWS)


@pytest.mark.parametrize("name", sorted(ROWS))
def test_each_role_gets_exactly_its_status(world, name):
    method, data, expected = ROWS[name]
    url = address(name, world)
    wrong = {}
    for role in ROLES:
        with transaction.atomic():  # each role sees the world as it was: a POST by one changes nothing for the next
            response = getattr(client_for(role, world), method)(url, data or {})
            if response.status_code != expected[role]:
                wrong[role] = response.status_code
            transaction.set_rollback(True)
    assert not wrong, f"{name}: expected {expected}, got {wrong}"


def test_the_matrix_is_every_url_times_every_role():
    assert len(ROWS) * len(ROLES) == 33 * 7


@pytest.mark.parametrize("role", ["colleague", "limited"])
def test_a_post_on_someone_elses_job_changes_nothing(world, role):
    client = client_for(role, world)
    for name in ("wagtail_imagegen:output_use", "wagtail_imagegen:output_discard", "wagtail_imagegen:jobs:cancel",
                 "wagtail_imagegen:batches:output_approve", "wagtail_imagegen:batches:approve_all"):
        assert client.post(address(name, world)).status_code == 404
    world["output"].refresh_from_db()
    assert world["output"].state == GenerationOutput.State.CANDIDATE
    assert GenerationJob.objects.count() == 2


def page(role: str, world: dict, name: str, **params) -> str:
    response = client_for(role, world).get(address(name, world), params)
    return b"".join(response.streaming_content if response.streaming else [response.content]).decode()


def mug_renditions(world: dict) -> list[str]:
    return [get_rendition_or_not_found(image, "max-165x165").url for image in (world["mug"], world["output"].image)]


@pytest.mark.parametrize("role", ["colleague", "limited"])
def test_editors_see_no_foreign_prompt_and_no_products_rendition(world, role):
    # The colleague may choose Products images, so the source picker rightly shows the mug to them.
    pickers = ("wagtail_imagegen:source_images",) if role == "limited" else ()
    for name in ("wagtail_imagegen:jobs:index", "wagtail_imagegen:jobs:index_results", "wagtail_imagegen:recent",
                 "wagtail_imagegen:batches:index", *pickers):
        content = page(role, world, name)
        assert PROMPT not in content, name
        assert not any(url in content for url in mug_renditions(world)), name
    assert OWN_PROMPT in page("colleague", world, "wagtail_imagegen:jobs:index")


def test_the_colleague_who_may_edit_the_mug_sees_no_generation_of_the_owners(world):
    content = page("colleague", world, "wagtail_imagegen:image_variants")
    assert PROMPT not in content and str(world["job"].pk) not in content


def test_the_owner_and_the_reviewer_see_the_job_in_full(world):
    for role in ("owner", "reviewer", "superuser"):
        assert PROMPT in page(role, world, "wagtail_imagegen:jobs:index"), role
        assert PROMPT in page(role, world, "wagtail_imagegen:jobs:inspect"), role
        assert client_for(role, world).get(address("wagtail_imagegen:jobs:status", world)).json()["prompt"] == PROMPT
        assert PROMPT in page(role, world, "wagtail_imagegen:image_variants"), role
    assert OWN_PROMPT in page("reviewer", world, "wagtail_imagegen:jobs:index")
    assert OWN_PROMPT not in page("owner", world, "wagtail_imagegen:jobs:index")


@pytest.fixture
def ai_only_reviewer(world, django_user_model):
    user = django_user_model.objects.create_user("ai-reviewer", password="pw")  # noqa: S106
    grant(user, "view_all_jobs", collections={world["ai"]: ("choose",)})
    client = Client()
    client.force_login(user)
    return client


def test_a_reviewer_without_the_collection_sees_restricted_not_the_images(world, ai_only_reviewer):
    detail = ai_only_reviewer.get(address("wagtail_imagegen:jobs:inspect", world))
    content = detail.content.decode()
    assert detail.status_code == 200 and "data-imagegen-restricted" in content
    assert PROMPT not in content and "Red mug" not in content
    assert not any(url in content for url in mug_renditions(world))
    status = ai_only_reviewer.get(address("wagtail_imagegen:jobs:status", world)).json()
    assert status["restricted"] is True and status["outputs"] == [] and "prompt" not in status
    listing = ai_only_reviewer.get(address("wagtail_imagegen:jobs:index", world)).content.decode()
    assert PROMPT not in listing and "Restricted" in listing and OWN_PROMPT in listing
    batch = ai_only_reviewer.get(address("wagtail_imagegen:batches:inspect", world)).content.decode()
    assert PROMPT not in batch and not any(url in batch for url in mug_renditions(world))
    assert PROMPT not in ai_only_reviewer.get(address("wagtail_imagegen:batches:index", world)).content.decode()


def test_the_owner_who_lost_the_collection_sees_their_job_restricted(world):
    owner = world["users"]["owner"]
    GroupCollectionPermission.objects.filter(group__user=owner, collection=world["products"]).delete()
    client = client_for("owner", world)
    assert client.get(address("wagtail_imagegen:jobs:status", world)).json()["restricted"] is True
    assert client.post(address("wagtail_imagegen:output_use", world)).status_code == 403


def test_usage_rows_per_user_need_view_all_jobs(world, django_user_model):
    accountant = django_user_model.objects.create_user("accountant", password="pw")  # noqa: S106
    grant(accountant, "view_generationjob")
    client = Client()
    client.force_login(accountant)
    totals = client.get(reverse("wagtail_imagegen:usage:index"))
    assert totals.status_code == 200
    rows = [row["user"] for row in totals.context["object_list"]]
    assert rows and all(str(user) == "Everyone" for user in rows)
    response = client.get(reverse("wagtail_imagegen:usage:index"), {"export": "csv"})
    export = b"".join(response.streaming_content).decode()
    assert "owner" not in export and "User" not in export.splitlines()[0]
    per_user = page("reviewer", world, "wagtail_imagegen:usage:index", export="csv")
    assert "owner" in per_user and "colleague" in per_user


def test_the_menu_follows_the_policy(world):
    home = reverse("wagtailadmin_home")
    reviewer = client_for("reviewer", world).get(home).content.decode()
    assert reverse("wagtail_imagegen:jobs:index") in reviewer and reverse("wagtail_imagegen:generate") not in reviewer
    assert reverse("wagtail_imagegen:usage:index") in reviewer
    owner = client_for("owner", world).get(home).content.decode()
    assert reverse("wagtail_imagegen:generate") in owner and reverse("wagtail_imagegen:usage:index") not in owner


def test_the_view_all_permission_is_offered_in_the_group_editor(world):
    group = Group.objects.create(name="Reviewers")
    content = client_for("superuser", world).get(reverse("wagtailusers_groups:edit", args=[group.pk])).content
    assert f'value="{Permission.objects.get(codename="view_all_jobs").pk}"' in content.decode()
