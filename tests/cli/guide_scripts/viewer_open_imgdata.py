# Viewer console: "Use the ViewerCore API to open any arbitrary image"
import tifffile
import json

# Open an image file in whatever way you require
seq = tifffile.imread(movie_path)

meta = json.load(open(movie_meta_path))

# Create ImgData instance
# Image sequence must be numpy array of shape [x, y, t]
imgdata = ImgData(seq.T, meta)

# Create a work environment instance
work_env = ViewerWorkEnv(imgdata)

# Set this new work environment instance as the viewer work environment
vi.viewer.workEnv = work_env

# Update the viewer GUI with the new work envionment
update_workEnv()

# "Splice img seq" (frames 1000:2000 in the guide; this movie is shorter)
# Get the current image sequence
seq = get_image()

# Trim the image sequence
trim = seq[:, :, 3:9]
vi.viewer.workEnv.imgdata.seq = trim
update_workEnv()
print('spliced', get_image().shape)
