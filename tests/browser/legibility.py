"""Whether text can be read where the browser drew it: the WCAG contrast
ratio of an element's text colour against the background it actually sits
on (its own, or the first one behind it), as computed by the browser."""
from __future__ import annotations

from playwright.sync_api import Locator

#: WCAG 2 level AA for normal-size text.
MINIMUM_CONTRAST = 4.5

CONTRAST_SCRIPT = """
(element) => {
  const parse = (text) => {
    const match = text.match(/rgba?\\(([^)]+)\\)/);
    if (!match) return null;
    const parts = match[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1};
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const layers = [];
  for (let node = element; node; node = node.parentElement) {
    const colour = parse(getComputedStyle(node).backgroundColor);
    if (colour && colour.a > 0) {
      layers.push(colour);
      if (colour.a >= 1) break;
    }
  }
  let background = {r: 255, g: 255, b: 255, a: 1};
  for (const layer of layers.reverse()) background = over(layer, background);
  const text = over(parse(getComputedStyle(element).color), background);
  const luminance = ({r, g, b}) => {
    const [R, G, B] = [r, g, b].map((value) => {
      value /= 255;
      return value <= 0.03928 ? value / 12.92 : Math.pow((value + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const [light, dark] = [luminance(text), luminance(background)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}
"""


def contrast_ratio(element: Locator) -> float:
    """1 (invisible) to 21 (black on white)."""
    return float(element.evaluate(CONTRAST_SCRIPT))
