// A model file with an error: the error sits on the path literal and
// shows the file's line, column and snippet.
netc::model!(path = "models/broken.nn");

fn main() {}
