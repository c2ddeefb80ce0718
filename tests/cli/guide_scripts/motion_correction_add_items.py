# Caiman Motion Correction script usage: "Add items" (three parameter variants per file)
# Import glob so we can get all tiff files in a dir
from glob import glob
# Import os to get filenames from paths
import os

# Motion correction params.
# Params are identical to the GUI ones

mc_params = {
    "max_shifts_x": 6,
    "max_shifts_y": 6,
    "iters_rigid": 2,
    "name_rigid": "Does not matter",
    "max_dev": 3,
    "strides": 196,
    "overlaps": 98,
    "upsample": 4,
    "name_elas": "will set later per file",
    "output_bit_depth": "Do not convert",
    "gSig_filt": (10, 10)
}

# Path to the dir containing images
files = glob(raw_dir + "/*.tiff")
# Sort in alphabetical order (should also work for numbers)
files.sort()

# Open each file, crop, and add to batch with 3 diff mot cor params
for i, path in enumerate(files):
    print("Working on file " + str(i + 1) + " / " + str(len(files)))

    # get json file path for the meta data
    meta_path = path[:-5] + ".json"

    # Create a new work environment with this image sequence
    work_env = ViewerWorkEnv.from_tiff(path, "asarray-multi", meta_path)

    # Get caiman motion correction module, hide=False to not show GUI
    mc_module = get_module("caiman_motion_correction", hide=True)

    # Set name for this video file
    name = os.path.basename(path)[:-5]
    mc_params["name_elas"] = name

    # Set the input work environment
    mc_module.set_input_workEnv(work_env)

    # First variant of params
    mc_params["strides"] = 196
    mc_params["overlaps"] = 98
    # Add one variant of params for this video to the batch
    mc_module.set_params(mc_params)
    mc_module.add_to_batch()

    # Try another variant of params
    mc_params["strides"] = 256
    mc_params["overlaps"] = 128
    # Set these params and add to batch
    mc_module.set_params(mc_params)
    mc_module.add_to_batch()

    # Try one more variant of params
    mc_params["strides"] = 296
    mc_params["overlaps"] = 148
    # Set these params and add to batch
    mc_module.set_params(mc_params)
    mc_module.add_to_batch()

# If you want to process the batch after adding the items uncomment the following lines
#bm = get_batch_manager()
#bm.process_batch(clear_viewers=True)
