"""Stand-ins for the custom Keras layer classes whose ops ingot declares (PythonClass).

Each stand-in builds itself the way the original constructor does, as its source documents it
(what it stores, under which attribute, and in what form), without Keras or TensorFlow: only
that state matters for get_config(). The Layer base keeps the base keys Keras saves for every
layer. Written for ingot's tests; the originals are named in each docstring.
"""
import numpy as np


class Layer:
    def __init__(self, name=None, trainable=True, dtype='float32', **kwargs):
        if kwargs:
            raise TypeError('unexpected keyword arguments: %s' % sorted(kwargs))
        self.name = name or type(self).__name__.lower()
        self.trainable = trainable
        self.dtype = dtype

    def get_config(self):
        return {'name': self.name, 'trainable': self.trainable, 'dtype': self.dtype}


class PriorBox(Layer):
    """rykov8/ssd_keras ssd_layers.py: expands the aspect ratios (1, a second 1 when max_size
    is set, each given ratio not yet present, then its inverse when flip) into
    self.aspect_ratios, keeps variances as a numpy array, never stores flip, and sets
    self.clip = True whatever clip says. No get_config()."""

    def __init__(self, img_size, min_size, max_size=None, aspect_ratios=None, flip=True,
                 variances=[0.1], clip=True, **kwargs):
        self.waxis, self.haxis = 2, 1
        self.img_size = img_size
        if min_size <= 0:
            raise Exception('min_size must be positive.')
        self.min_size = min_size
        self.max_size = max_size
        self.aspect_ratios = [1.0]
        if max_size:
            if max_size < min_size:
                raise Exception('max_size must be greater than min_size.')
            self.aspect_ratios.append(1.0)
        if aspect_ratios:
            for ar in aspect_ratios:
                if ar in self.aspect_ratios:
                    continue
                self.aspect_ratios.append(ar)
                if flip:
                    self.aspect_ratios.append(1.0 / ar)
        self.variances = np.array(variances)
        self.clip = True
        super().__init__(**kwargs)


class Normalize(Layer):
    """rykov8/ssd_keras ssd_layers.py: stores scale (the initial gamma). No get_config()."""

    def __init__(self, scale, **kwargs):
        self.axis = 3
        self.scale = scale
        super().__init__(**kwargs)


class AnchorBoxes(Layer):
    """pierluigiferrari/ssd_keras keras_layer_AnchorBoxes.py: checks its arguments, keeps
    variances as a numpy array and everything else as given, and counts its boxes. Its own
    get_config() leaves out this_steps and this_offsets."""

    def __init__(self, img_height, img_width, this_scale, next_scale, aspect_ratios=[0.5, 1.0, 2.0],
                 two_boxes_for_ar1=True, this_steps=None, this_offsets=None, clip_boxes=False,
                 variances=[0.1, 0.1, 0.2, 0.2], coords='centroids', normalize_coords=False, **kwargs):
        if this_scale < 0 or next_scale < 0 or this_scale > 1:
            raise ValueError('this_scale must be in [0, 1] and next_scale >= 0')
        if len(variances) != 4:
            raise ValueError('4 variance values must be passed')
        variances = np.array(variances)
        if np.any(variances <= 0):
            raise ValueError('all variances must be > 0')
        self.img_height = img_height
        self.img_width = img_width
        self.this_scale = this_scale
        self.next_scale = next_scale
        self.aspect_ratios = aspect_ratios
        self.two_boxes_for_ar1 = two_boxes_for_ar1
        self.this_steps = this_steps
        self.this_offsets = this_offsets
        self.clip_boxes = clip_boxes
        self.variances = variances
        self.coords = coords
        self.normalize_coords = normalize_coords
        self.n_boxes = len(aspect_ratios) + 1 if (1 in aspect_ratios) and two_boxes_for_ar1 else len(aspect_ratios)
        super().__init__(**kwargs)


class L2Normalization(Layer):
    """pierluigiferrari/ssd_keras keras_layer_L2Normalization.py: stores gamma_init."""

    def __init__(self, gamma_init=20, **kwargs):
        self.axis = 3
        self.gamma_init = gamma_init
        super().__init__(**kwargs)


class DecodeDetections(Layer):
    """pierluigiferrari/ssd_keras keras_layer_DecodeDetections.py: checks its arguments and
    stores each as given (the original also makes TensorFlow constants of them)."""

    def __init__(self, confidence_thresh=0.01, iou_threshold=0.45, top_k=200, nms_max_output_size=400,
                 coords='centroids', normalize_coords=True, img_height=None, img_width=None, **kwargs):
        if normalize_coords and (img_height is None or img_width is None):
            raise ValueError('normalize_coords needs img_height and img_width')
        if coords != 'centroids':
            raise ValueError("only the 'centroids' format is supported")
        self.confidence_thresh = confidence_thresh
        self.iou_threshold = iou_threshold
        self.top_k = top_k
        self.normalize_coords = normalize_coords
        self.img_height = img_height
        self.img_width = img_width
        self.coords = coords
        self.nms_max_output_size = nms_max_output_size
        super().__init__(**kwargs)


class GenericScale(Layer):
    """A class of the kind the generic get_config() assumes: every argument stored as given."""

    def __init__(self, factor, offsets=None, **kwargs):
        self.factor = factor
        self.offsets = offsets
        super().__init__(**kwargs)


# Constructor arguments to try per class: the originals' defaults, the forms their documentation
# allows (tuples, scalars or pairs, None), and flip / max_size combinations for PriorBox.
CASES = {
    'PriorBox': [
        {'img_size': (300, 300), 'min_size': 30.0, 'max_size': 60.0, 'aspect_ratios': [2, 3],
         'variances': [0.1, 0.1, 0.2, 0.2]},
        {'img_size': (64, 48), 'min_size': 10, 'aspect_ratios': [2], 'flip': True, 'variances': [0.1]},
        {'img_size': [320, 240], 'min_size': 20, 'max_size': 35, 'aspect_ratios': [2.0, 0.5, 3.0],
         'flip': False, 'clip': False},
        {'img_size': (300, 300), 'min_size': 111.0, 'max_size': 162.0},
    ],
    'Normalize': [{'scale': 20}, {'scale': 10.5, 'name': 'conv4_3_norm'}],
    'AnchorBoxes': [
        {'img_height': 300, 'img_width': 300, 'this_scale': 0.1, 'next_scale': 0.2,
         'aspect_ratios': [1.0, 2.0, 0.5], 'this_steps': 8, 'this_offsets': 0.5,
         'variances': [0.1, 0.1, 0.2, 0.2], 'normalize_coords': True},
        {'img_height': 480, 'img_width': 640, 'this_scale': 0.3, 'next_scale': 0.5,
         'aspect_ratios': (0.5, 1.0, 2.0, 3.0), 'two_boxes_for_ar1': False,
         'this_steps': [16, 32], 'this_offsets': (0.25, 0.75), 'clip_boxes': True, 'coords': 'corners'},
        {'img_height': 300, 'img_width': 300, 'this_scale': 0.9, 'next_scale': 1.05},
    ],
    'L2Normalization': [{}, {'gamma_init': 15}],
    'DecodeDetections': [
        {'img_height': 300, 'img_width': 300},
        {'confidence_thresh': 0.5, 'iou_threshold': 0.3, 'top_k': 10, 'nms_max_output_size': 50,
         'normalize_coords': False},
    ],
    'GenericScale': [{'factor': 2.0}, {'factor': 0.5, 'offsets': [1, 2, 3]}],
}

CLASSES = {c.__name__: c for c in (PriorBox, Normalize, AnchorBoxes, L2Normalization, DecodeDetections, GenericScale)}


def with_method(cls, source):
    """A subclass of `cls` (same name, so super(Name, self) resolves) with the given method."""
    scope = {'base': cls, 'np': np}  # one dict: the method's globals see the class name
    body = 'class %s(base):\n%s' % (cls.__name__, source)
    exec(compile(body, '<get_config for %s>' % cls.__name__, 'exec'), scope)
    return scope[cls.__name__]
