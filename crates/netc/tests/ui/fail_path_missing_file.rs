// A path that names no file.
netc::model!(path = "models/no_such_model.nn");

fn main() {}
