# Viewer console: "Open image" with the tiff module
# Get the tiff module
tio = get_module('tiff_io')

# Set the tiff and meta file paths
tiff_path = movie_path
meta_path = movie_meta_path

tio.load_tiff(tiff_path, meta_path, method='asarray')
print('loaded', get_image().shape)
