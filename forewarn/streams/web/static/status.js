/* Public status page: optional "use my location"; the answer itself needs no script. */
(function () {
  "use strict";
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("lat").value = pos.coords.latitude.toFixed(5);
      document.getElementById("lon").value = pos.coords.longitude.toFixed(5);
      document.getElementById("coords-form").submit();
    });
  });
})();
