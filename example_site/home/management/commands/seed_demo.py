"""Fill the example site with a few product pictures and a home page that uses them. Safe to run again.

The pictures are drawn here with Pillow (no downloads, no binary files in the repository) and saved through
Wagtail's image model like an upload would be: file, title, collection, size and hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand
from django.db import transaction
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model
from wagtail.models import Collection, Page, Site

from example_site.home.models import HomePage
from wagtail_imagegen import conf, jobs, tasks
from wagtail_imagegen.models import GenerationJob, ImageVariant

PRODUCTS_COLLECTION = "Products"
# The collection WAGTAIL_IMAGEGEN["COLLECTION"] names in example_site/settings.py.
AI_COLLECTION = "AI images"
HOME_SLUG = "home"
# The seasonal variant the home page's hero and product list show (HomePage.hero_variant's default).
WINTER = "winter"
WINTER_PROMPT = "The same picture in winter: a little snow, cool blue morning light, a warm glow indoors."

RGB = tuple[int, int, int]
Painter = Callable[[ImageDraw.ImageDraw, float, float, float], None]


# ---------------------------------------------------------------------------------------------------
# Drawing: each painter draws one product centred on (cx, cy); `s` scales it (1.0 fills a 1200x900 picture)
# ---------------------------------------------------------------------------------------------------


def box(cx: float, cy: float, s: float, x0: float, y0: float, x1: float, y1: float) -> list[float]:
    """A rectangle given in product coordinates (-600..600, -450..450) moved to (cx, cy) and scaled by s."""
    return [cx + x0 * s, cy + y0 * s, cx + x1 * s, cy + y1 * s]


def points(cx: float, cy: float, s: float, *xy: tuple[float, float]) -> list[tuple[float, float]]:
    return [(cx + x * s, cy + y * s) for x, y in xy]


def paint_mug(draw: ImageDraw.ImageDraw, cx: float, cy: float, s: float) -> None:
    body: RGB = (214, 84, 62)
    draw.ellipse(box(cx, cy, s, -230, 270, 230, 330), fill=(0, 0, 0, 40))  # shadow
    # The handle: a thick ring, half hidden behind the body.
    draw.ellipse(box(cx, cy, s, 90, -120, 330, 170), outline=(178, 62, 44), width=max(1, int(48 * s)))
    draw.rounded_rectangle(box(cx, cy, s, -200, -200, 200, 300), radius=int(40 * s), fill=body)
    draw.ellipse(box(cx, cy, s, -200, -240, 200, -160), fill=(236, 120, 96))  # rim
    draw.ellipse(box(cx, cy, s, -175, -228, 175, -172), fill=(92, 52, 36))  # coffee
    draw.rounded_rectangle(box(cx, cy, s, -150, -120, -110, 240), radius=int(20 * s), fill=(232, 128, 104))


def paint_lamp(draw: ImageDraw.ImageDraw, cx: float, cy: float, s: float) -> None:
    draw.ellipse(box(cx, cy, s, -300, -340, 300, 160), fill=(255, 236, 170, 90))  # glow
    draw.ellipse(box(cx, cy, s, -190, 300, 190, 350), fill=(0, 0, 0, 40))  # shadow
    draw.rectangle(box(cx, cy, s, -14, -120, 14, 290), fill=(90, 94, 104))  # stem
    draw.ellipse(box(cx, cy, s, -150, 270, 150, 330), fill=(60, 64, 72))  # base
    draw.polygon(points(cx, cy, s, (-120, -330), (120, -330), (230, -90), (-230, -90)), fill=(244, 196, 64))
    draw.ellipse(box(cx, cy, s, -230, -110, 230, -70), fill=(250, 222, 120))  # shade's lower rim
    draw.ellipse(box(cx, cy, s, -40, -110, 40, -50), fill=(255, 250, 220))  # bulb


def paint_chair(draw: ImageDraw.ImageDraw, cx: float, cy: float, s: float) -> None:
    wood: RGB = (150, 98, 60)
    dark: RGB = (112, 70, 40)
    draw.ellipse(box(cx, cy, s, -260, 300, 260, 350), fill=(0, 0, 0, 40))  # shadow
    for x0, x1 in ((-200, -170), (170, 200)):  # back legs, seen behind the seat
        draw.rectangle(box(cx, cy, s, x0, -340, x1, 300), fill=dark)
    for y in (-300, -220, -140):  # back slats
        draw.rectangle(box(cx, cy, s, -170, y, 170, y + 40), fill=wood)
    draw.polygon(points(cx, cy, s, (-200, 20), (200, 20), (250, 90), (-250, 90)), fill=(186, 126, 80))  # seat
    draw.rectangle(box(cx, cy, s, -250, 90, 250, 120), fill=dark)  # seat edge
    for x0, x1 in ((-240, -205), (205, 240)):  # front legs
        draw.rectangle(box(cx, cy, s, x0, 120, x1, 330), fill=wood)


@dataclass(frozen=True)
class Product:
    slug: str
    title: str
    description: str
    background: RGB
    painter: Painter


PRODUCTS = (
    Product("mug", "Red mug", "A red ceramic mug filled with coffee, on a plain cream background.",
            (246, 238, 224), paint_mug),
    Product("lamp", "Yellow desk lamp", "A yellow desk lamp with a grey stand, switched on, on a pale blue "
            "background.", (222, 232, 242), paint_lamp),
    Product("chair", "Wooden chair", "A simple wooden chair with three back slats, on a sage green "
            "background.", (220, 230, 214), paint_chair),
)


def draw_picture(
    size: tuple[int, int], background: RGB, items: list[tuple[Painter, float, float, float]]
) -> bytes:
    """A PNG of the given painters on a plain background, with a soft floor gradient."""
    width, height = size
    canvas = PILImage.new("RGB", size, background)
    floor = ImageDraw.Draw(canvas)
    for row in range(height * 2 // 3, height):  # darken the lower third a little: a hint of a floor
        shade = (row - height * 2 // 3) / (height / 3) * 18
        floor.line([(0, row), (width, row)], fill=tuple(max(0, int(c - shade)) for c in background))
    # Shadows and glows are translucent: draw each product on its own transparent layer, then blend it in.
    picture = canvas.convert("RGBA")
    for painter, cx, cy, scale in items:
        layer = PILImage.new("RGBA", size, (0, 0, 0, 0))
        painter(ImageDraw.Draw(layer), cx, cy, scale)
        picture = PILImage.alpha_composite(picture, layer)
    buffer = BytesIO()
    picture.convert("RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Create demo product images and a home page that uses them (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            products_collection = self.collection(PRODUCTS_COLLECTION)
            self.collection(AI_COLLECTION)
            images = {
                product.slug: self.image(
                    product.slug, product.title, product.description, products_collection,
                    lambda p=product: draw_picture((1200, 900), p.background, [(p.painter, 600, 460, 1.0)]),
                )
                for product in PRODUCTS
            }
            images["hero"] = self.image(
                "hero", "Our products", "A red mug, a yellow desk lamp and a wooden chair side by side.",
                products_collection,
                lambda: draw_picture((1600, 700), (240, 234, 222), [
                    (paint_chair, 1150, 360, 0.75), (paint_lamp, 770, 380, 0.7), (paint_mug, 420, 440, 0.55),
                ]),
            )
            self.home_page(images)
            self.product_list(images)
        # Outside the transaction: an edit job calls the (demo) provider, then keeps its output.
        for slug in ("hero", "mug"):
            self.winter_variant(images[slug])

    def product_list(self, images: dict[str, Any]) -> None:
        """Give a home page made by an earlier version of this command its product list."""
        home = HomePage.objects.child_of(Page.get_first_root_node()).first()
        if home is None or any(block.block_type == "products" for block in home.body):
            return
        if home.has_unpublished_changes:  # never publish, or drop, someone's draft
            self.stdout.write("Not adding a product list to the home page: it has a draft. Add one in the admin.")
            return
        home.body.append(("products", home.body.stream_block.child_blocks["products"].to_python(
            product_list_block(images)["value"])))
        home.save_revision().publish()
        self.stdout.write("Added the product list to the home page.")

    def winter_variant(self, image: Any) -> None:
        """Make and keep the image's "winter" variant with the offline demo provider, once."""
        if ImageVariant.objects.filter(source=image, label=WINTER).exists():
            return
        if not conf.provider_class(conf.provider_config().class_path).is_demo:
            self.stdout.write(f'Not making a "{WINTER}" variant of "{image.title}": only the demo provider '
                              "does that here (it costs nothing). Make one in the admin.")
            return
        job = jobs.submit_edit([image], WINTER_PROMPT, label=WINTER, size="1536x1024", quality="low")
        tasks.run_job(str(job.pk))  # right here, not in the worker: the command waits for it anyway
        job.refresh_from_db()
        if job.status != GenerationJob.Status.SUCCEEDED:
            self.stderr.write(f'The "{WINTER}" variant of "{image.title}" failed: {job.error_message}')
            return
        jobs.keep(job.outputs.get(), label=WINTER)
        self.stdout.write(f'Made the "{WINTER}" variant of "{image.title}".')

    def collection(self, name: str) -> Collection:
        root = Collection.get_first_root_node()
        existing = root.get_children().filter(name=name).first()
        if existing:
            return existing
        self.stdout.write(f'Creating the collection "{name}".')
        return root.add_child(name=name)

    def image(self, slug: str, title: str, description: str, collection: Collection,
              render: Callable[[], bytes]) -> Any:
        """The image with this title in the collection, created the first time."""
        image_model = get_image_model()
        existing = image_model.objects.filter(title=title, collection=collection).first()
        if existing:
            return existing
        image = image_model(title=title, collection=collection)
        if hasattr(image, "description"):  # Wagtail's alt-text field; a custom image model may lack it
            image.description = description
        image.file = ImageFile(BytesIO(render()), name=f"demo-{slug}.png")
        image._set_image_file_metadata()  # file_size and file_hash, as Wagtail's upload form sets them
        image.save()
        self.stdout.write(f'Created the image "{title}".')
        return image

    def home_page(self, images: dict[str, Any]) -> None:
        """Make a HomePage the default site's root, replacing Wagtail's welcome page."""
        site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
        if site and isinstance(site.root_page.specific, HomePage):
            self.stdout.write("The home page is already set up.")
            return

        root = Page.get_first_root_node()
        old = site.root_page if site else None
        home = HomePage.objects.child_of(root).first()
        if home is None:
            if old is not None and old.slug == HOME_SLUG:
                # Siblings need unique slugs: free "home" for the new page (the old one goes below).
                Page.objects.filter(pk=old.pk).update(slug=f"{HOME_SLUG}-old-{old.pk}")
            home = HomePage(
                title="Welcome to the wagtail-imagegen demo",
                slug=HOME_SLUG,
                hero_image=images["hero"],
                body=body_blocks(images),
            )
            root.add_child(instance=home)
            home.save_revision().publish()
            self.stdout.write("Created the home page.")

        if site:
            site.root_page = home
            site.save()
        else:
            Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True,
                                site_name="wagtail-imagegen example")
        self.stdout.write("The default site now shows the home page.")

        # Delete Wagtail's welcome page only if it is just that: a plain Page with nothing below it.
        if old is not None:
            old = Page.objects.get(pk=old.pk)
            if old.specific_class is Page and not old.get_children().exists():
                old.delete()
                self.stdout.write("Deleted Wagtail's welcome page.")
            else:
                self.stdout.write(f'Left the previous root page "{old.title}" (id {old.pk}) in place.')


def product_list_block(images: dict[str, Any]) -> dict[str, Any]:
    return {"type": "products", "value": {
        "heading": "Our products this winter", "variant": WINTER,
        "products": [images[product.slug].pk for product in PRODUCTS],
    }}


def body_blocks(images: dict[str, Any]) -> list[dict[str, Any]]:
    """The home page's StreamField content, as raw block data."""
    return [
        {"type": "heading", "value": "Try the image generator"},
        {"type": "paragraph", "value": (
            "<p>Everything on this page was drawn by a small script. Open the admin, edit this page, and "
            "generate a new hero image, or make a variant of one of the product pictures below.</p>"
        )},
        {"type": "image", "value": images["mug"].pk},
        {"type": "paragraph", "value": "<p>The pictures are in the <b>Products</b> collection of the image "
                                       "library; generated images go to <b>AI images</b>.</p>"},
        {"type": "figure", "value": {"image": images["lamp"].pk, "decorative": False,
                                     "alt_text": "A yellow desk lamp, switched on."}},
        {"type": "figure", "value": {"image": images["chair"].pk, "decorative": False,
                                     "alt_text": "A wooden chair with three back slats."}},
        product_list_block(images),
    ]
