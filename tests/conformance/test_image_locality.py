"""ImageLocality score, ported from upstream's imagelocality/image_locality_test.go
(TestImageLocalityPriority): per image on the node, size x share of nodes holding it,
summed, clamped to [23 MiB, 1000 MiB x containers] and scaled to 0..100."""

import pytest

from .builders import MiB, container, evaluate, node, pod, score_only

PLUGIN = "ImageLocality"

NODE_40_300_2000 = [(["gcr.io/40:latest", "gcr.io/40:v1", "gcr.io/40:v1"], 40 * MiB),
                    (["gcr.io/300:latest", "gcr.io/300:v1"], 300 * MiB),
                    (["gcr.io/2000:latest"], 2000 * MiB)]
NODE_250_10 = [(["gcr.io/250:latest"], 250 * MiB), (["gcr.io/10:latest", "gcr.io/10:v1"], 10 * MiB)]
NODE_600_40_900 = [(["gcr.io/600:latest"], 600 * MiB), (["gcr.io/40:latest"], 40 * MiB),
                   (["gcr.io/900:latest"], 900 * MiB)]
NODE_300_600_900 = [(["gcr.io/300:latest"], 300 * MiB), (["gcr.io/600:latest"], 600 * MiB),
                    (["gcr.io/900:latest"], 900 * MiB)]
NODE_4000_30 = [(["gcr.io/4000:latest"], 4000 * MiB), (["gcr.io/30:latest"], 30 * MiB)]
NODE_20_30_40 = [(["gcr.io/20:latest"], 20 * MiB), (["gcr.io/30:latest"], 30 * MiB), (["gcr.io/40:latest"], 40 * MiB)]


def images_pod(*images, init=()):
    return pod(containers=[container(image=i) for i in images],
               init_containers=[container(image=i) for i in init] or None)


CASES = [
    ("two images spread on two nodes, prefer the larger image one", images_pod("gcr.io/40", "gcr.io/250"),
     [NODE_40_300_2000, NODE_250_10], [0, 5]),
    ("two images on one node, prefer this node", images_pod("gcr.io/40", "gcr.io/300"),
     [NODE_40_300_2000, NODE_250_10], [7, 0]),
    ("if exceed limit, use limit", images_pod("gcr.io/10", "gcr.io/4000"), [NODE_4000_30, NODE_250_10], [100, 0]),
    ("if exceed limit, use limit (with node which has no images present)", images_pod("gcr.io/10", "gcr.io/4000"),
     [NODE_4000_30, NODE_250_10, []], [66, 0, 0]),
    ("pod with multiple large images, node2 is preferred", images_pod("gcr.io/300", "gcr.io/600", "gcr.io/900"),
     [NODE_600_40_900, NODE_300_600_900, []], [32, 36, 0]),
    ("pod with multiple small images", images_pod("gcr.io/30", "gcr.io/40"), [NODE_20_30_40, NODE_4000_30], [1, 0]),
    ("include InitContainers: two images spread on two nodes, prefer the larger image one",
     images_pod("gcr.io/30", init=["gcr.io/300"]), [NODE_40_300_2000, NODE_20_30_40], [6, 0]),
]


@pytest.mark.parametrize("name, incoming, node_images, want", CASES, ids=[c[0][:70] for c in CASES])
def test_image_locality(name, incoming, node_images, want):
    nodes = [node(f"node{i + 1}", images=images) for i, images in enumerate(node_images)]
    result = evaluate(nodes, incoming, profile=score_only(PLUGIN))
    assert result.scores(PLUGIN) == {f"node{i + 1}": w for i, w in enumerate(want)}


def test_image_names_are_normalized():
    # TestNormalizedImageName: a name without a tag means ":latest" and a tag is kept, so
    # "gcr.io/300" finds the node's "gcr.io/300:latest", "gcr.io/300:v1" finds its other
    # name, and "gcr.io/300:v2" finds nothing. 300 MiB x 1/2 nodes, one container:
    # 100 * (150 - 23) / (1000 - 23) = 12.
    nodes = [node("node1", images=NODE_40_300_2000), node("node2")]
    for image, want in (("gcr.io/300", 12), ("gcr.io/300:latest", 12), ("gcr.io/300:v1", 12), ("gcr.io/300:v2", 0)):
        result = evaluate(nodes, images_pod(image), profile=score_only(PLUGIN))
        assert result.scores(PLUGIN) == {"node1": want, "node2": 0}, image


def test_an_image_has_the_size_the_first_node_listed_reports():
    # Upstream's cache keeps one size per image name: the one reported by the first node it
    # learns of (addNodeImageStates), and its informers list nodes by name. node-a reports
    # 600 MiB, node-b 100 MiB for the same name: node-b scores with 600 MiB x 2/2 nodes,
    # 100 * (600 - 23) / (1000 - 23) = 59, in whichever order the input lists the nodes.
    for order in (("node-b", "node-a"), ("node-a", "node-b")):
        sizes = {"node-a": 600 * MiB, "node-b": 100 * MiB}
        nodes = [node(name, images=[(["gcr.io/app:latest"], sizes[name])]) for name in order]
        result = evaluate(nodes, images_pod("gcr.io/app"), profile=score_only(PLUGIN))
        assert result.scores(PLUGIN) == {"node-a": 59, "node-b": 59}, order
