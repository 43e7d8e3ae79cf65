"""`make bench`: what users pay for, measured side by side with the original app's TensorFlow approach."""
