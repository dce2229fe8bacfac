"""Write `tracker ingest`'s layout from a PyTorch training loop, with forward hooks (see docs/ingest.md).

    recorder = TrackerDump("runs/mlp-seed0", model, layers={"fc1": model[1], "fc2": model[3]},
                           probe_inputs=x_probe, probe_labels=y_probe,
                           hyperparameters={"lr": 0.05, "optimizer": "sgd", "batch_size": 64}, seed=0)
    recorder.snapshot(step=0)
    for step, (x, y) in enumerate(loader, start=1):
        ...  # forward, loss.backward(), optimizer.step()
        recorder.log(step, train_loss=loss.item(), train_accuracy=accuracy, learning_rate=0.05)
        if step % 50 == 0:
            recorder.snapshot(step)
    # then: tracker ingest runs/mlp-seed0

Not run by the tests (they write the layout themselves); needs torch and numpy.
"""
import json
import os
import uuid

import numpy as np
import torch


class TrackerDump:
    def __init__(self, folder, model, layers, probe_inputs, probe_labels=None, hyperparameters=None, seed=0,
                 name=None, architecture=None, dataset=None, tags=()):
        self.folder, self.model, self.layers, self.probe = folder, model, layers, probe_inputs
        os.makedirs(folder, exist_ok=True)
        self.metrics = open(os.path.join(folder, "metrics.jsonl"), "a")
        if probe_labels is not None:
            np.save(os.path.join(folder, "labels.npy"), np.asarray(probe_labels, dtype=np.int64))
        description = {
            "uuid": str(uuid.uuid4()), "name": name or os.path.basename(folder.rstrip("/")),
            "architecture": architecture or type(model).__name__,
            "layers": [{"name": key, "kind": type(module).__name__.lower()} for key, module in layers.items()],
            "hyperparameters": hyperparameters or {}, "seed": seed, "tags": list(tags),
            "parameter_count": sum(p.numel() for p in model.parameters()),
        }
        if dataset:
            description["dataset"] = dataset
        path = os.path.join(folder, "run.json")
        if not os.path.exists(path):  # keep the uuid of a run that is resumed
            with open(path, "w") as file:
                json.dump(description, file, indent=1)

    @torch.no_grad()
    def snapshot(self, step):
        """Runs the probe set through the model in eval mode and saves each hooked layer's output."""
        captured, handles = {}, []
        for key, module in self.layers.items():
            def hook(_module, _inputs, output, key=key):
                value = output.detach().float()
                if value.dim() == 4:          # (samples, channels, H, W): the mean over positions, as tracker does
                    value = value.mean(dim=(2, 3))
                elif value.dim() == 3:        # (samples, time, units): the last time step
                    value = value[:, -1, :]
                captured[key] = value.cpu().numpy()
            handles.append(module.register_forward_hook(hook))
        training = self.model.training
        self.model.eval()
        try:
            self.model(self.probe)
        finally:
            self.model.train(training)
            for handle in handles:
                handle.remove()
        folder = os.path.join(self.folder, f"step_{step}")
        os.makedirs(folder, exist_ok=True)
        for key, value in captured.items():
            np.save(os.path.join(folder, f"{key}.npy"), np.ascontiguousarray(value, dtype=np.float32))

    def log(self, step, train_loss, train_accuracy, learning_rate, **extra):
        """One line of metrics.jsonl (extra: epoch, wall_time, test_loss, test_accuracy, test_samples)."""
        self.metrics.write(json.dumps({"step": step, "train_loss": train_loss, "train_accuracy": train_accuracy,
                                       "learning_rate": learning_rate, **extra}) + "\n")
        self.metrics.flush()
